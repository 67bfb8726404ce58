"use client";

import { useState } from "react";
import { LiveStatus } from "@/components/console/live-status";
import { PageHeader } from "@/components/console/page-header";
import { Refusal } from "@/components/console/refusal";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Field, inputClass, Notice } from "@/components/ui/form";
import { Table, TBody, Td, Th, THead, Tr } from "@/components/ui/table";
import { pollMs, useCreateUser, useUpdateUser, useUsers } from "@/lib/api/queries";
import { fmtTime } from "@/lib/format";
import type { UserDto } from "@/lib/auth/users";

type Role = UserDto["role"];
const MIN_PASSWORD = 12;
const selectClass =
  "h-8 w-28 rounded-lg border-0 bg-white pl-2.5 pr-7 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-zinc-900 disabled:bg-zinc-50 disabled:text-zinc-500";

export function UsersClient({ initialUsers, isAdmin, me }: { initialUsers: UserDto[]; isAdmin: boolean; me: string }) {
  const q = useUsers(initialUsers);
  const users = q.data;
  const activeAdmins = users.filter((u) => u.role === "admin" && !u.disabled).length;

  return (
    <div className="flex flex-col gap-6">
      <PageHeader
        title="Users"
        description={
          isAdmin
            ? "Who may sign in to the console. Admins steer the migration, reviewers read everything and change nothing. The last active admin cannot be demoted or disabled (409)."
            : "Who may sign in to the console. You are a reviewer: an admin manages users."
        }
        aside={<LiveStatus updatedAt={q.dataUpdatedAt} error={q.error} intervalMs={pollMs.users} isFetching={q.isFetching} />}
      />
      {isAdmin && <CreateUser />}
      <Table caption="Console users">
        <THead>
          <tr>
            <Th>E-mail</Th>
            <Th>Name</Th>
            <Th>Role</Th>
            <Th>Status</Th>
            <Th>Created</Th>
            {isAdmin && <Th>Actions</Th>}
          </tr>
        </THead>
        <TBody>
          {users.map((u) => (
            <UserRow key={u.id} u={u} isAdmin={isAdmin} isMe={u.email === me} lastAdmin={u.role === "admin" && !u.disabled && activeAdmins <= 1} />
          ))}
        </TBody>
      </Table>
      <p className="text-sm text-zinc-500">
        {users.length} {users.length === 1 ? "user" : "users"}, {activeAdmins} active {activeAdmins === 1 ? "admin" : "admins"}. Every change is in the audit
        log (user.create, user.update).
      </p>
    </div>
  );
}

function CreateUser() {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("reviewer");
  const [password, setPassword] = useState("");
  const create = useCreateUser({
    onSuccess: () => {
      setEmail("");
      setName("");
      setPassword("");
      setRole("reviewer");
    },
  });
  const short = password.length > 0 && password.length < MIN_PASSWORD;
  return (
    <Card title="Add a user" description={`The password needs at least ${MIN_PASSWORD} characters; share it with the person out of band.`}>
      <form
        className="grid grid-cols-1 gap-3 md:grid-cols-[1.4fr_1fr_8rem_1.2fr_auto] md:items-start"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ email, ...(name.trim() ? { name } : {}), role, password });
        }}
      >
        <Field label="E-mail">
          <input className={inputClass} type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Name" hint="optional">
          <input className={inputClass} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Role">
          <select className={inputClass} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="reviewer">reviewer</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <Field
          label="Password"
          hint={
            short ? (
              <span className="text-red-700">
                {password.length} of {MIN_PASSWORD} characters
              </span>
            ) : (
              `${MIN_PASSWORD} characters or more`
            )
          }
        >
          <input className={inputClass} type="password" required autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <div className="md:pt-6">
          <Button type="submit" disabled={create.isPending}>
            {create.isPending ? "Adding…" : "Add user"}
          </Button>
        </div>
      </form>
      {create.isError && <Refusal error={create.error} className="mt-3" testId="create-user-result" />}
      {create.isSuccess && (
        <Notice tone="ok" className="mt-3" testId="create-user-result">
          Added {create.data.email} as {create.data.role}.
        </Notice>
      )}
    </Card>
  );
}

function UserRow({ u, isAdmin, isMe, lastAdmin }: { u: UserDto; isAdmin: boolean; isMe: boolean; lastAdmin: boolean }) {
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState("");
  const [done, setDone] = useState<string | null>(null);
  // A role change or a disable locks someone out of what they could do: asked once more before it is sent.
  const [asking, setAsking] = useState<{ role: Role } | { disabled: true } | null>(null);
  const update = useUpdateUser(u.id, {
    onMutate: () => {
      setDone(null);
      setAsking(null);
    },
    onSuccess: (_r, patch) => {
      setDone(
        patch.password !== undefined
          ? "Password reset."
          : patch.role !== undefined
            ? `Role changed to ${patch.role}.`
            : patch.disabled
              ? "Disabled: this user can no longer sign in."
              : "Enabled.",
      );
      if (patch.password !== undefined) {
        setPassword("");
        setResetting(false);
      }
    },
  });
  const cols = isAdmin ? 6 : 5;
  return (
    <>
      <Tr className={u.disabled ? "text-zinc-400" : undefined}>
        <Td className="font-medium text-zinc-900">
          {u.email}
          {isMe && <span className="ml-2 text-xs font-normal text-zinc-500">(you)</span>}
        </Td>
        <Td className="whitespace-nowrap">{u.name || <span className="text-zinc-400">—</span>}</Td>
        <Td>
          {isAdmin ? (
            <select
              aria-label={`Role of ${u.email}`}
              className={selectClass}
              value={asking && "role" in asking ? asking.role : u.role}
              disabled={update.isPending}
              onChange={(e) => setAsking(e.target.value === u.role ? null : { role: e.target.value as Role })}
            >
              <option value="reviewer">reviewer</option>
              <option value="admin">admin</option>
            </select>
          ) : (
            <Badge tone={u.role === "admin" ? "info" : "neutral"}>{u.role}</Badge>
          )}
        </Td>
        <Td>{u.disabled ? <Badge tone="danger">disabled</Badge> : <Badge tone="success">active</Badge>}</Td>
        <Td className="tabular whitespace-nowrap">
          <span title={fmtTime(u.createdAt)}>{fmtTime(u.createdAt).slice(0, 10)}</span>
        </Td>
        {isAdmin && (
          <Td>
            <div className="flex items-center gap-2 whitespace-nowrap">
              <Button
                size="sm"
                variant="secondary"
                disabled={update.isPending}
                onClick={() => (u.disabled ? update.mutate({ disabled: false }) : setAsking({ disabled: true }))}
                title={lastAdmin && !u.disabled ? "The last active admin: the API refuses (409)" : undefined}
              >
                {u.disabled ? "Enable" : "Disable"}
              </Button>
              <Button size="sm" variant="ghost" aria-expanded={resetting} onClick={() => setResetting((r) => !r)}>
                Reset password…
              </Button>
            </div>
          </Td>
        )}
      </Tr>
      {(asking || resetting || update.isError || done) && (
        <tr>
          <td colSpan={cols} className="bg-zinc-50/60 px-4 py-3">
            {asking && (
              <div
                role="group"
                aria-label={`Confirm the change to ${u.email}`}
                className="mb-2 flex flex-wrap items-center gap-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-950 ring-1 ring-inset ring-amber-200"
              >
                <span>
                  {"role" in asking
                    ? `Make ${u.email} ${asking.role === "admin" ? "an admin: they may start, stop and roll back runs and manage users" : "a reviewer: they keep reading everything but can no longer change anything"}?`
                    : `Disable ${u.email}? They can no longer sign in, and lose access at once.`}
                </span>
                <Button size="sm" variant={"role" in asking ? "primary" : "danger"} disabled={update.isPending} onClick={() => update.mutate(asking)} autoFocus>
                  {"role" in asking ? `Yes, make ${asking.role}` : "Yes, disable"}
                </Button>
                <Button size="sm" variant="ghost" onClick={() => setAsking(null)}>
                  Cancel
                </Button>
              </div>
            )}
            {resetting && (
              <form
                className="flex flex-wrap items-end gap-2"
                onSubmit={(e) => {
                  e.preventDefault();
                  update.mutate({ password });
                }}
              >
                <Field label={`New password for ${u.email}`} hint={`${MIN_PASSWORD} characters or more`} className="w-80">
                  <input className={inputClass} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
                </Field>
                <div className="flex gap-2 pb-5">
                  <Button size="sm" type="submit" disabled={update.isPending}>
                    Set password
                  </Button>
                  <Button size="sm" variant="ghost" onClick={() => setResetting(false)}>
                    Cancel
                  </Button>
                </div>
              </form>
            )}
            {update.isError && <Refusal error={update.error} className="mt-1" testId={`user-result-${u.id}`} />}
            {done && !update.isError && (
              <Notice tone="ok" className="mt-1" testId={`user-result-${u.id}`}>
                {u.email}: {done}
              </Notice>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
