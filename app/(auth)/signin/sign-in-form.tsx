"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { safeCallbackUrl } from "@/lib/auth/callback-url";
import { signInErrorMessage } from "@/lib/auth/sign-in-errors";

interface DemoUser {
  email: string;
  password: string;
  role: string;
}

/**
 * Posts the credentials to next-auth itself (not `signIn()` from next-auth/react) so that the
 * 429 envelope of the rate limit reaches the form with its message instead of a broken redirect.
 */
async function submitCredentials(email: string, password: string, callbackUrl: string): Promise<string | null> {
  const csrf = await fetch("/api/auth/csrf", { cache: "no-store" }).then((r) => r.json() as Promise<{ csrfToken?: string }>);
  const res = await fetch("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password, csrfToken: csrf.csrfToken ?? "", callbackUrl, json: "true" }),
  });
  const data = (await res.json().catch(() => null)) as { url?: string; error?: { code?: string; message?: string } } | null;
  if (res.status === 429) return data?.error?.message ?? signInErrorMessage("RATE_LIMITED");
  if (!data?.url) return "The console did not answer as expected. Try again.";
  const error = new URL(data.url, window.location.origin).searchParams.get("error");
  return error ? signInErrorMessage(error) : null;
}

export function SignInForm({ callbackUrl, initialError, demoUsers }: { callbackUrl: string; initialError: string | null; demoUsers: DemoUser[] | null }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(signInErrorMessage(initialError));
  const [pending, setPending] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      const failure = await submitCredentials(email, password, callbackUrl);
      if (failure) {
        setError(failure);
        setPending(false);
        return;
      }
      // A full navigation, so that server components render with the new session cookie; checked
      // again against this page's origin, whatever the server passed.
      window.location.assign(safeCallbackUrl(callbackUrl, window.location.origin));
    } catch {
      setError("Could not reach the console. Check your connection and try again.");
      setPending(false);
    }
  }

  const inputClass =
    "block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-zinc-900 shadow-sm ring-1 ring-inset ring-zinc-300 placeholder:text-zinc-400 focus:ring-2 focus:ring-inset focus:ring-zinc-900";

  return (
    <div className="space-y-4">
      <form onSubmit={onSubmit} className="space-y-4 rounded-xl border border-zinc-200 bg-white p-6 shadow-sm" noValidate={false}>
        {error && (
          <p className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-inset ring-red-200" data-testid="signin-error" aria-live="polite">
            {error}
          </p>
        )}
        <div className="space-y-1.5">
          <label htmlFor="email" className="block text-sm font-medium text-zinc-700">
            E-mail
          </label>
          <input
            id="email"
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            className={inputClass}
          />
        </div>
        <div className="space-y-1.5">
          <label htmlFor="password" className="block text-sm font-medium text-zinc-700">
            Password
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            className={inputClass}
          />
        </div>
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </Button>
      </form>

      {demoUsers && demoUsers.length > 0 && (
        <section className="rounded-xl border border-dashed border-zinc-300 bg-white/60 p-4 text-sm" data-testid="demo-credentials">
          <h2 className="font-medium text-zinc-900">Demo mode</h2>
          <p className="mt-0.5 text-zinc-500">Embedded database with demo users. Click one to fill the form.</p>
          <ul className="mt-3 space-y-2">
            {demoUsers.map((u) => (
              <li key={u.email}>
                <button
                  type="button"
                  onClick={() => {
                    setEmail(u.email);
                    setPassword(u.password);
                    setError(null);
                  }}
                  className="flex w-full items-center justify-between gap-3 rounded-lg px-3 py-2 text-left ring-1 ring-inset ring-zinc-200 hover:bg-zinc-50"
                >
                  <span className="min-w-0">
                    <span className="block truncate font-mono text-xs text-zinc-900">{u.email}</span>
                    <span className="block truncate font-mono text-xs text-zinc-500">{u.password}</span>
                  </span>
                  <span className="shrink-0 rounded-md bg-zinc-100 px-2 py-0.5 text-xs font-medium text-zinc-700">{u.role}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
