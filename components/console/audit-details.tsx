/** An audit row's details: short ones on one line; longer ones folded to that line, opened in place as indented JSON. */
export function AuditDetails({ details }: { details: unknown }) {
  if (details === null || details === undefined) return <>—</>;
  const line = JSON.stringify(details);
  // A set width: a table column sized by its content would take the whole line and push the table past the page.
  if (line.length <= 60) return <div className="w-40 break-all min-[1400px]:w-80">{line}</div>;
  return (
    <details className="group w-40 min-[1400px]:w-80">
      <summary className="cursor-pointer list-none text-zinc-700 hover:text-zinc-900" title="Show all the details">
        <span className="block truncate group-open:hidden">
          <span aria-hidden="true" className="mr-1 text-zinc-400">
            ▸
          </span>
          {line}
        </span>
        <span className="hidden text-zinc-500 group-open:inline">
          <span aria-hidden="true" className="mr-1">
            ▾
          </span>
          Hide details
        </span>
      </summary>
      <pre className="mt-1 max-h-96 overflow-auto whitespace-pre-wrap break-all rounded bg-zinc-50 p-2 text-[11px] text-zinc-800 ring-1 ring-inset ring-zinc-200">
        {JSON.stringify(details, null, 2)}
      </pre>
    </details>
  );
}
