import fs from "node:fs";
import { expect, test as setup } from "./support";
import { DEMO_USERS } from "../lib/auth/demo";
import { AUTH_DIR, storageStateFor } from "./support";

/** Signs in once per role through the real sign-in page and keeps the session for the console tests. */
for (const role of ["admin", "reviewer"] as const) {
  setup(`sign in as ${role}`, async ({ page }) => {
    const user = DEMO_USERS.find((u) => u.role === role);
    if (!user) throw new Error(`no demo user with role ${role}`);
    fs.mkdirSync(AUTH_DIR, { recursive: true });
    await page.goto("/signin");
    await page.getByLabel(/^e-?mail$/i).fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await expect(page.getByTestId("signed-in-email")).toHaveText(user.email);
    await page.context().storageState({ path: storageStateFor(role) });
  });
}
