import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { DEMO_USERS, isDemoMode } from "@/lib/auth/demo";
import { consoleOrigin, safeCallbackUrl } from "@/lib/auth/callback-url";
import { getSessionPrincipal } from "@/lib/auth/session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  // Same-origin absolute URLs (next-auth sends those) become their path; anything else "/".
  const callbackUrl = safeCallbackUrl(first(params.callbackUrl), consoleOrigin(process.env.NEXTAUTH_URL));
  if (await getSessionPrincipal(await getDb())) redirect(callbackUrl);
  // MIGRATION-SPEC §7: the demo credentials are shown in the embedded demo mode only.
  const demoUsers = isDemoMode(process.env) ? DEMO_USERS.map(({ email, password, role }) => ({ email, password, role })) : null;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 text-center">
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Prestamos console</h1>
          <p className="mt-1 text-sm text-zinc-500">Sign in to steer and verify the migration.</p>
        </div>
        <SignInForm callbackUrl={callbackUrl} initialError={first(params.error) ?? null} demoUsers={demoUsers} />
      </div>
    </main>
  );
}
