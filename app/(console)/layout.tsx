import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { ConsoleNav } from "@/components/console/console-nav";
import { navFor } from "@/components/console/nav-items";
import { Providers } from "@/components/console/providers";
import { SignOutButton } from "@/components/console/sign-out-button";
import { requirePagePrincipal } from "@/lib/auth/session";

/** The console shell: navigation by role, who is signed in, sign-out. Nobody signed in → /signin. */
export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const principal = await requirePagePrincipal();
  return (
    <Providers>
      <div className="flex min-h-screen">
        <aside className="sticky top-0 flex h-screen w-60 shrink-0 flex-col border-r border-zinc-200 bg-white">
          <div className="px-5 pb-3 pt-4">
            <Link href="/" className="block">
              <span className="text-[15px] font-semibold tracking-tight text-zinc-900">Prestamos console</span>
              <span className="mt-0.5 block text-xs text-zinc-500">Legacy → new schema</span>
            </Link>
          </div>
          <div className="min-h-0 flex-1 overflow-y-auto px-2 py-1">
            <ConsoleNav sections={navFor(principal.role)} />
          </div>
          <div className="border-t border-zinc-200 px-4 py-3">
            <p className="truncate text-sm font-medium text-zinc-900" title={principal.name} data-testid="signed-in-email">
              {principal.name}
            </p>
            <div className="mt-1.5 flex items-center justify-between gap-2">
              <Badge tone={principal.role === "admin" ? "info" : "neutral"}>
                <span data-testid="signed-in-role">{principal.role}</span>
              </Badge>
              <SignOutButton />
            </div>
          </div>
        </aside>
        <main className="min-w-0 flex-1">
          <div className="mx-auto max-w-6xl px-8 py-8">{children}</div>
        </main>
      </div>
    </Providers>
  );
}
