import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getDb } from "@/db/client";
import type { Role } from "@/db/schema";
import { clientIp } from "@/lib/http/rate-limit";
import { getAuthSecret } from "./secret";
import { authenticate } from "./sign-in";

declare module "next-auth" {
  interface Session {
    user: { id: number; email: string; name: string; role: Role; sessionVersion: number };
  }
  interface User {
    role?: Role;
    sessionVersion?: number;
  }
}
declare module "next-auth/jwt" {
  interface JWT {
    uid?: number;
    role?: Role;
    /** console_users.session_version at sign-in: a password change bumps it and ends this session. */
    sv?: number;
  }
}

/** Secure cookies (and their __Secure- name) exactly when the console is served over https. */
export const secureCookiesEnabled = () => process.env.NEXTAUTH_URL?.startsWith("https://") ?? false;
export const sessionCookieName = () => (secureCookiesEnabled() ? "__Secure-next-auth.session-token" : "next-auth.session-token");

/** Sessions last a working day; the principal is re-checked against console_users on every request anyway. */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

export const authOptions: NextAuthOptions = {
  providers: [
    CredentialsProvider({
      id: "credentials",
      name: "E-mail and password",
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        const result = await authenticate(await getDb(), credentials ?? {}, clientIp((req?.headers ?? {}) as Record<string, string>));
        if (result.ok)
          return {
            id: String(result.user.id),
            email: result.user.email,
            name: result.user.name,
            role: result.user.role,
            sessionVersion: result.user.sessionVersion,
          };
        if (result.error === "CredentialsSignin") return null;
        // next-auth turns a thrown error into ?error=<message>: the form shows its own text for it.
        throw new Error(result.error);
      },
    }),
  ],
  session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
  pages: { signIn: "/signin", error: "/signin" },
  callbacks: {
    jwt({ token, user }) {
      if (user) {
        token.uid = Number(user.id);
        token.role = user.role;
        token.sv = user.sessionVersion;
      }
      return token;
    },
    session({ session, token }) {
      session.user = {
        id: Number(token.uid),
        email: String(token.email ?? ""),
        name: String(token.name ?? ""),
        role: token.role ?? "reviewer",
        sessionVersion: Number(token.sv ?? 1),
      };
      return session;
    },
  },
  // Read at request time, not at import: `next build` must not create .data/ (CONVENTIONS, pattern 10).
  get secret() {
    return getAuthSecret();
  },
  get useSecureCookies() {
    return secureCookiesEnabled();
  },
  get cookies() {
    const secure = secureCookiesEnabled();
    return {
      sessionToken: { name: sessionCookieName(), options: { httpOnly: true, sameSite: "lax", path: "/", secure } },
    };
  },
};
