import type { EventStore } from '@fleetwarden/eventstore';

/** Names of the scheduling service's own tables in `schema`. */
export function fleetViewTables(schema: string) {
  return {
    servers: `${schema}.scheduling_servers`,
    groups: `${schema}.scheduling_groups`,
    groupServers: `${schema}.scheduling_group_servers`,
    timers: `${schema}.scheduling_timers`,
  };
}

/** Creates the scheduling service's tables when missing (every instance, at start). */
export async function ensureFleetViewTables(store: EventStore, schema: string): Promise<void> {
  const t = fleetViewTables(schema);
  await store.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}:scheduling-tables`]);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.servers} (
      server_id text PRIMARY KEY,
      reseller_id text NOT NULL,
      server_version text,
      web_apps_version text,
      decommissioned boolean NOT NULL DEFAULT false
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.groups} (
      group_id text PRIMARY KEY,
      reseller_id text,
      removed boolean NOT NULL DEFAULT false
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.groupServers} (
      group_id text NOT NULL,
      server_id text NOT NULL,
      reseller_id text,
      PRIMARY KEY (group_id, server_id)
    )`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${t.timers} (
      task_id text PRIMARY KEY,
      due_at timestamptz NOT NULL,
      fired_at timestamptz
    )`);
    await tx.query(`CREATE INDEX IF NOT EXISTS scheduling_timers_due ON ${t.timers} (due_at) WHERE fired_at IS NULL`);
  });
}
