/**
 * The privileges of the legacy tables, given to the views that take their names at a cut-over.
 * The renamed tables keep their own privileges (the archive), and a new view has none but its
 * owner's: without this an application role that wrote `prestamos` would get "permission denied"
 * the moment the view replaced the table. Copied from the catalog, table and column privileges,
 * grant options included; nothing more than the tables gave.
 */
import { sql } from "drizzle-orm";
import { queryRows } from "@/db/sql";
import type { Exec as Tx } from "@/db/client";

/**
 * GRANT statements that give `view` what `table` grants (both qualified names). The view's owner
 * (the console) is left out: it holds every privilege on what it owns. A table with no explicit
 * privileges (relacl NULL) grants only to its owner, which acldefault spells out.
 */
export async function grantsLikeDdl(tx: Tx, table: string, view: string): Promise<string[]> {
  const rows = await queryRows<{ stmt: string }>(
    tx,
    sql`with src as (select oid, relowner, coalesce(relacl, acldefault('r', relowner)) as acl from pg_class where oid = to_regclass(${table})),
        items as (
          select a.grantee, a.privilege_type, a.is_grantable, null::text as col from src, aclexplode(src.acl) a
          union all
          select a.grantee, a.privilege_type, a.is_grantable, att.attname::text from src
          join pg_attribute att on att.attrelid = src.oid and att.attnum > 0 and not att.attisdropped and att.attacl is not null
          cross join lateral aclexplode(att.attacl) a
        )
        select format('GRANT %s%s ON %s TO %s%s', i.privilege_type, coalesce(' (' || quote_ident(i.col) || ')', ''), ${view}::text,
                      case when i.grantee = 0 then 'PUBLIC' else quote_ident(r.rolname) end,
                      case when i.is_grantable then ' WITH GRANT OPTION' else '' end) as stmt
        from items i left join pg_roles r on r.oid = i.grantee
        where i.grantee is distinct from (select oid from pg_roles where rolname = current_user)
        order by 1`,
  );
  return rows.map((r) => r.stmt);
}
