"use client";

import { useState } from "react";
import { PageHeader } from "@/components/console/page-header";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { errorMessage } from "@/lib/api/client";
import { type CreateWebhookInput, useCreateWebhook, useDeleteWebhook, useDeliveries, useToggleWebhook, useWebhooks } from "@/lib/api/queries";
import { ENGINE_EVENTS } from "@/lib/migration/vocabulary";
import type { DeliveryDTO, WebhookDTO } from "@/lib/webhooks/webhooks";

const STATUS_TONE: Record<DeliveryDTO["status"], BadgeTone> = { pending: "warning", delivered: "success", failed: "danger" };

export function WebhooksClient({
  initialWebhooks,
  initialDeliveries,
  isAdmin,
}: {
  initialWebhooks: WebhookDTO[];
  initialDeliveries: DeliveryDTO[];
  isAdmin: boolean;
}) {
  const hooks = useWebhooks(initialWebhooks);
  const deliveries = useDeliveries(hooks.data, initialDeliveries);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<{ id: number; secret: string } | null>(null);
  const create = useCreateWebhook({
    onSuccess: (r) => {
      setSecret({ id: r.webhook.id, secret: r.secret });
      setUrl("");
      setEvents([]);
    },
  });
  const toggle = useToggleWebhook();
  const remove = useDeleteWebhook();
  const urlOf = (id: number) => hooks.data.find((h) => h.id === id)?.url ?? `#${id}`;

  return (
    <div className="space-y-6">
      <PageHeader
        title="Webhooks"
        description="Run events (started, halted, stopped, finished, resumed) and consistency below 100 % are POSTed to these URLs, signed with X-Prestamos-Signature (HMAC-SHA256), retried with backoff (10 s, 30 s, 2 min, 10 min) and then marked failed."
      />
      {isAdmin && (
        <Card title="Add a webhook" description="http:// or https:// only. No event chosen = every event.">
          <form
            className="space-y-3"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate(events.length ? { url, events: events as CreateWebhookInput["events"] } : { url });
            }}
          >
            <label className="block text-sm">
              <span className="text-zinc-700">URL</span>
              <input
                type="url"
                required
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                placeholder="https://hooks.example.com/prestamos"
                className="mt-1 block w-full rounded-lg border border-zinc-300 px-3 py-2 text-sm"
              />
            </label>
            <fieldset className="flex flex-wrap gap-3 text-sm">
              <legend className="mb-1 text-zinc-700">Events</legend>
              {ENGINE_EVENTS.map((ev) => (
                <label key={ev} className="inline-flex items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={events.includes(ev)}
                    onChange={(e) => setEvents(e.target.checked ? [...events, ev] : events.filter((x) => x !== ev))}
                  />
                  <code className="font-mono text-xs">{ev}</code>
                </label>
              ))}
            </fieldset>
            <div className="flex items-center gap-3">
              <Button type="submit" disabled={create.isPending}>
                {create.isPending ? "Adding…" : "Add webhook"}
              </Button>
              {create.isError && <p className="text-sm text-red-700">{errorMessage(create.error)}</p>}
            </div>
          </form>
          {secret && (
            <div className="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm" data-testid="webhook-secret">
              <p className="font-medium text-amber-900">Signing secret of webhook {secret.id}: copy it now, it is not shown again.</p>
              <code className="mt-1 block break-all font-mono text-xs">{secret.secret}</code>
            </div>
          )}
        </Card>
      )}

      <Table caption="Webhooks">
        <THead>
          <Tr>
            <Th>URL</Th>
            <Th>Events</Th>
            <Th>State</Th>
            <Th>Created</Th>
            {isAdmin && <Th align="right">Actions</Th>}
          </Tr>
        </THead>
        <TBody>
          {hooks.data.length === 0 && (
            <Tr>
              <Td className="text-zinc-500">No webhooks yet.</Td>
            </Tr>
          )}
          {hooks.data.map((w) => (
            <Tr key={w.id}>
              <Td className="break-all font-mono text-xs">{w.url}</Td>
              <Td className="text-xs">{w.events.length ? w.events.join(", ") : "all events"}</Td>
              <Td>
                <Badge tone={w.enabled ? "success" : "neutral"}>{w.enabled ? "enabled" : "disabled"}</Badge>
              </Td>
              <Td className="text-xs text-zinc-500">
                {new Date(w.createdAt).toISOString().replace("T", " ").slice(0, 19)} by {w.createdBy}
              </Td>
              {isAdmin && (
                <Td align="right">
                  <span className="inline-flex gap-2">
                    <Button size="sm" variant="secondary" disabled={toggle.isPending} onClick={() => toggle.mutate(w)}>
                      {w.enabled ? "Disable" : "Enable"}
                    </Button>
                    <Button
                      size="sm"
                      variant="danger"
                      disabled={remove.isPending}
                      onClick={() => {
                        if (window.confirm(`Delete the webhook to ${w.url} and its deliveries?`)) remove.mutate(w);
                      }}
                    >
                      Delete
                    </Button>
                  </span>
                </Td>
              )}
            </Tr>
          ))}
        </TBody>
      </Table>
      {(toggle.isError || remove.isError) && <p className="text-sm text-red-700">{errorMessage(toggle.error ?? remove.error)}</p>}

      <Card title="Recent deliveries" description="Newest first, every webhook; refreshed every 5 s.">
        {deliveries.data.length === 0 ? (
          <p className="text-sm text-zinc-500">No deliveries yet.</p>
        ) : (
          <table className="w-full text-left text-sm">
            <thead className="text-xs uppercase tracking-wide text-zinc-500">
              <tr>
                <th className="py-1 pr-3">#</th>
                <th className="py-1 pr-3">Event</th>
                <th className="py-1 pr-3">Webhook</th>
                <th className="py-1 pr-3">Status</th>
                <th className="py-1 pr-3">Attempts</th>
                <th className="py-1 pr-3">Last answer</th>
                <th className="py-1">When</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {deliveries.data.map((d) => (
                <tr key={d.id} data-testid="webhook-delivery">
                  <td className="py-1 pr-3 tabular-nums">{d.id}</td>
                  <td className="py-1 pr-3 font-mono text-xs">{d.event}</td>
                  <td className="max-w-48 truncate py-1 pr-3 font-mono text-xs" title={urlOf(d.webhookId)}>
                    {urlOf(d.webhookId)}
                  </td>
                  <td className="py-1 pr-3">
                    <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
                  </td>
                  <td className="py-1 pr-3 tabular-nums">{d.attempts}</td>
                  <td className="max-w-64 truncate py-1 pr-3 text-xs text-zinc-600" title={d.lastError ?? d.lastResponse ?? ""}>
                    {d.lastStatusCode ?? "—"} {d.lastError ?? d.lastResponse ?? ""}
                  </td>
                  <td className="py-1 text-xs text-zinc-500">
                    {(d.deliveredAt ?? d.createdAt).replace("T", " ").slice(0, 19)}
                    {d.status === "pending" && d.nextAttemptAt ? ` · next ${d.nextAttemptAt.slice(11, 19)}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
