"use client";

import { useRef, useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Refusal } from "@/components/console/refusal";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, inputClass, Notice } from "@/components/ui/form";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { pollMs, useCreateToken, useRevokeToken, useTokens } from "@/lib/api/queries";
import { fmtTime } from "@/lib/format";
import type { CreatedToken, TokenDto } from "@/lib/auth/tokens";

type Role = TokenDto["role"];

export function TokensClient({ initialTokens }: { initialTokens: TokenDto[] }) {
  const q = useTokens(initialTokens);
  const tokens = q.data;
  const live = tokens.filter((t) => tokenStatus(t) === "active").length;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="API tokens"
        description="Scripts call the console's API with Authorization: Bearer <token>. Admin tokens may do everything, reviewer tokens may only read. Tokens are stored hashed: the console cannot show one again."
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.tokens} isFetching={q.isFetching} />}
      />
      <div className="rounded-xl border border-sky-200 bg-sky-50/60 px-5 py-3 text-sm text-sky-900">
        <strong className="font-semibold">Creating tokens from a shell?</strong> With the embedded database (no{" "}
        <code className="font-mono text-[13px]">DATABASE_URL</code>), <code className="font-mono text-[13px]">npm run token</code> cannot open the data folder
        while the console runs (the folder is locked by this process), so this page is the way. With PostgreSQL the CLI works at any time.
      </div>
      <CreateToken />
      <section aria-labelledby="token-list" className="flex flex-col gap-3">
        <h2 id="token-list" className="text-sm font-semibold uppercase tracking-wide text-zinc-500">
          Tokens{" "}
          <span className="font-normal normal-case tracking-normal">
            · {live} active, {tokens.length - live} revoked or expired
          </span>
        </h2>
        {tokens.length === 0 ? (
          <EmptyState title="No tokens yet" description="Create one above for a script or a CI job." />
        ) : (
          <Table caption="API tokens">
            <THead>
              <tr>
                <Th>Name</Th>
                <Th>Role</Th>
                <Th>Prefix</Th>
                <Th>Created</Th>
                <Th>Expires</Th>
                <Th>Last used</Th>
                <Th>Status</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </THead>
            <TBody>
              {tokens.map((t) => (
                <TokenRow key={t.id} t={t} />
              ))}
            </TBody>
          </Table>
        )}
      </section>
    </div>
  );
}

function CreateToken() {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("reviewer");
  const [expiresInDays, setExpiresInDays] = useState("90");
  const create = useCreateToken({ onSuccess: () => setName("") });
  return (
    <Card title="Create a token" description="Name it for what uses it (a script, a CI job), so the list says who has access.">
      <form
        className="grid grid-cols-1 gap-3 md:grid-cols-[1fr_13rem_10rem_auto] md:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name, role, ...(expiresInDays ? { expiresInDays: Number(expiresInDays) } : {}) });
        }}
      >
        <Field label="Token name">
          <input className={inputClass} required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Token role">
          <select className={inputClass} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="reviewer">reviewer (read only)</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <Field label="Expires">
          <select className={inputClass} value={expiresInDays} onChange={(e) => setExpiresInDays(e.target.value)}>
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="">never</option>
          </select>
        </Field>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create token"}
        </Button>
      </form>
      {create.isError && <Refusal error={create.error} className="mt-3" />}
      {create.isSuccess && <NewToken t={create.data} onDismiss={() => create.reset()} />}
    </Card>
  );
}

/** The token, once: it is not stored, so leaving the page loses it. */
function NewToken({ t, onDismiss }: { t: CreatedToken; onDismiss: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "select" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(t.token);
      setCopied("yes");
    } catch {
      // No clipboard (insecure origin, permissions): select it for Ctrl+C instead.
      ref.current?.select();
      setCopied("select");
    }
  };
  return (
    <div className="mt-4 rounded-lg bg-amber-50 px-4 py-3 ring-1 ring-inset ring-amber-300" data-testid="new-token">
      <p className="text-sm font-semibold text-amber-900">
        <span aria-hidden="true">⚠ </span>Copy this token now: it is shown only once.
      </p>
      <p className="mt-0.5 text-sm text-amber-900">
        “{t.name}”, role {t.role}, {t.expiresAt ? `expires ${fmtTime(t.expiresAt)}` : "never expires"}. The console keeps only its hash; if it is lost, revoke
        it and create another.
      </p>
      <div className="mt-3 flex gap-2">
        <input
          ref={ref}
          readOnly
          aria-label="New API token"
          data-testid="new-token-value"
          className={`${inputClass} font-mono`}
          value={t.token}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button variant="secondary" onClick={copy}>
          {copied === "yes" ? "Copied ✓" : "Copy"}
        </Button>
        <Button variant="ghost" onClick={onDismiss}>
          Done
        </Button>
      </div>
      {copied === "select" && <p className="mt-2 text-xs text-amber-900">The clipboard is not available here: the token is selected, press Ctrl+C (⌘C).</p>}
      <pre className="mt-3 overflow-x-auto rounded-md bg-white/70 px-3 py-2 font-mono text-xs text-zinc-700 ring-1 ring-inset ring-amber-200">
        curl -H &quot;Authorization: Bearer $TOKEN&quot; {typeof window === "undefined" ? "" : window.location.origin}/api/prestamos/migration/progress
      </pre>
    </div>
  );
}

/** Expiry is judged by the server on every request; the page only says what the clock says now. */
function tokenStatus(t: TokenDto): "active" | "revoked" | "expired" {
  if (t.revokedAt) return "revoked";
  return t.expiresAt && Date.parse(t.expiresAt) <= Date.now() ? "expired" : "active";
}

function TokenRow({ t }: { t: TokenDto }) {
  const status = tokenStatus(t);
  const [confirming, setConfirming] = useState(false);
  const revoke = useRevokeToken(t.id, { onSettled: () => setConfirming(false) });
  return (
    <>
      <Tr className={status !== "active" ? "text-zinc-400" : undefined}>
        <Td className="font-medium text-zinc-900">{t.name}</Td>
        <Td>
          <Badge tone={t.role === "admin" ? "info" : "neutral"}>{t.role}</Badge>
        </Td>
        <Td>
          <code className="font-mono text-[13px]">{t.prefix}…</code>
        </Td>
        <Td className="tabular whitespace-nowrap">
          {fmtTime(t.createdAt)}
          <span className="block text-xs text-zinc-500">by {t.createdBy}</span>
        </Td>
        <Td className="tabular">{t.expiresAt ? fmtTime(t.expiresAt) : <span className="text-zinc-400">never</span>}</Td>
        <Td className="tabular">{t.lastUsedAt ? fmtTime(t.lastUsedAt) : <span className="text-zinc-400">never</span>}</Td>
        <Td className="whitespace-nowrap">
          {status === "revoked" ? (
            <Badge tone="danger">revoked {fmtTime(t.revokedAt!).slice(0, 10)}</Badge>
          ) : status === "expired" ? (
            <Badge tone="warning">expired</Badge>
          ) : (
            <Badge tone="success">active</Badge>
          )}
        </Td>
        <Td>
          {status === "active" &&
            (!confirming ? (
              <Button size="sm" variant="secondary" onClick={() => setConfirming(true)}>
                Revoke…
              </Button>
            ) : (
              <span className="flex items-center gap-2">
                <Button size="sm" variant="danger" autoFocus disabled={revoke.isPending} onClick={() => revoke.mutate(undefined)}>
                  {revoke.isPending ? "Revoking…" : "Yes, revoke"}
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                  Cancel
                </Button>
              </span>
            ))}
        </Td>
      </Tr>
      {(confirming || revoke.isError || revoke.isSuccess) && (
        <tr>
          <td colSpan={8} className="bg-zinc-50/60 px-4 py-2">
            {confirming && <p className="text-sm text-amber-900">Revoke “{t.name}”? Scripts using it get 401 from now on. This cannot be undone.</p>}
            {revoke.isError && <Refusal error={revoke.error} />}
            {revoke.isSuccess && <Notice tone="ok">“{t.name}” revoked.</Notice>}
          </td>
        </tr>
      )}
    </>
  );
}
