"use client";

import { Button } from "@/components/ui/button";
import { ErrorState } from "@/components/ui/error-state";

/** A console page failed on the server: say so calmly, offer a retry, quote the digest (the server log has the rest). */
export default function ConsoleError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorState
      title="This page could not be loaded"
      description="The console could not read what this page shows, most likely because the database did not answer. Try again in a moment; if it persists, check /api/health and the server log."
      reference={error.digest}
      action={
        <Button variant="secondary" onClick={() => reset()}>
          Try again
        </Button>
      }
    />
  );
}
