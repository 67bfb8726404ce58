// Every integration test file: passwords hashed at a test cost (lib/auth/passwords.ts says why);
// the unit tests and the e2e server keep OWASP's.
import { setScryptCostForTests } from "@/lib/auth/passwords";

export const TEST_SCRYPT_COST = { N: 2 ** 12, r: 8, p: 1 } as const;
setScryptCostForTests(TEST_SCRYPT_COST);
