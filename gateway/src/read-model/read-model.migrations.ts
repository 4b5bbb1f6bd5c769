import type { EventStore } from '@fleetwarden/eventstore';

/** One versioned change of the gateway's read-model tables; `statements` get the quoted schema. */
export interface ReadModelMigration {
  version: number;
  name: string;
  statements(schema: string): string[];
}

/**
 * The read models, in order. Never edit an applied migration: add one. Server ids sort bytewise
 * (`COLLATE "C"`), so that keyset pagination gives the same order on every database.
 */
export const READ_MODEL_MIGRATIONS: readonly ReadModelMigration[] = [
  {
    version: 1,
    name: 'inventory: servers, groups, status changes; presence table of the inventory service',
    statements: (s) => [
      // Written by the inventory service on every heartbeat; created here too when the gateway starts first.
      `CREATE TABLE IF NOT EXISTS ${s}.inventory_presence (
         server_id text PRIMARY KEY,
         last_seen_at timestamptz NOT NULL,
         heartbeat_interval_sec double precision NOT NULL)`,
      `CREATE TABLE ${s}.rm_resellers (id text PRIMARY KEY, name text NOT NULL)`,
      `CREATE TABLE ${s}.rm_servers (
         id text COLLATE "C" PRIMARY KEY,
         reseller_id text NOT NULL,
         reseller_name text NOT NULL,
         company_id text NOT NULL,
         company_name text NOT NULL,
         address text NOT NULL DEFAULT '',
         server_version text NOT NULL,
         server_version_key numeric[] GENERATED ALWAYS AS (string_to_array(server_version, '.')::numeric[]) STORED,
         web_apps_version text,
         stage text NOT NULL,
         hosting_provider text NOT NULL,
         connected boolean NOT NULL DEFAULT false,
         last_seen_at timestamptz,
         heartbeat_interval_sec double precision,
         fqdn text,
         host_name text,
         public_ip text,
         private_ip text,
         files jsonb NOT NULL DEFAULT '[]',
         decommissioned boolean NOT NULL DEFAULT false,
         decommissioned_at timestamptz,
         decommission_reason text,
         registered_at timestamptz NOT NULL,
         updated_at timestamptz NOT NULL,
         search_text text GENERATED ALWAYS AS (
           lower((id COLLATE "default") || ' ' || company_name || ' ' || address || ' ' || coalesce(fqdn, ''))) STORED)`,
      `CREATE INDEX rm_servers_live ON ${s}.rm_servers (id) WHERE NOT decommissioned`,
      `CREATE INDEX rm_servers_reseller ON ${s}.rm_servers (reseller_id, id)`,
      `CREATE INDEX rm_servers_company ON ${s}.rm_servers (company_id, id)`,
      `CREATE INDEX rm_servers_company_order ON ${s}.rm_servers (company_name, id)`,
      `CREATE INDEX rm_servers_reseller_company_order ON ${s}.rm_servers (reseller_id, company_name, id)`,
      `CREATE INDEX rm_servers_version_order ON ${s}.rm_servers (server_version_key, id)`,
      `CREATE INDEX rm_servers_reseller_version_order ON ${s}.rm_servers (reseller_id, server_version_key, id)`,
      `CREATE TABLE ${s}.rm_groups (
         id text COLLATE "C" PRIMARY KEY,
         name text NOT NULL,
         reseller_id text,
         created_at timestamptz NOT NULL)`,
      `CREATE INDEX rm_groups_reseller ON ${s}.rm_groups (reseller_id, name)`,
      `CREATE TABLE ${s}.rm_group_servers (
         group_id text COLLATE "C" NOT NULL,
         server_id text COLLATE "C" NOT NULL,
         PRIMARY KEY (group_id, server_id))`,
      `CREATE INDEX rm_group_servers_server ON ${s}.rm_group_servers (server_id)`,
      // Written by the projection in its transaction; every gateway instance tails the committed rows
      // in (tx_id, seq) order and publishes them to its subscribers.
      `CREATE TABLE ${s}.rm_server_status_changes (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
         server_id text NOT NULL,
         status text NOT NULL,
         connected boolean NOT NULL,
         last_seen_at timestamptz,
         changed_at timestamptz NOT NULL,
         reseller_id text NOT NULL,
         reseller_name text NOT NULL,
         company_id text NOT NULL,
         company_name text NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX rm_server_status_changes_order ON ${s}.rm_server_status_changes (tx_id, seq)`,
    ],
  },
  {
    version: 2,
    name: 'scheduling: version catalog, update tasks and their servers',
    statements: (s) => [
      `CREATE TABLE ${s}.rm_versions (
         component text NOT NULL,
         version text NOT NULL,
         version_key numeric[] GENERATED ALWAYS AS (string_to_array(version, '.')::numeric[]) STORED,
         stage text NOT NULL,
         schema_version text NOT NULL,
         notes text NOT NULL,
         published_at timestamptz NOT NULL,
         withdrawn boolean NOT NULL DEFAULT false,
         PRIMARY KEY (component, version))`,
      `CREATE TABLE ${s}.rm_tasks (
         id text COLLATE "C" PRIMARY KEY,
         tenant text,
         name text NOT NULL,
         type text NOT NULL,
         status text NOT NULL,
         posted_at timestamptz NOT NULL,
         posted_by text NOT NULL,
         start_at timestamptz NOT NULL,
         versions jsonb NOT NULL,
         target_summary text NOT NULL,
         retry_of text,
         total int NOT NULL,
         completed int NOT NULL DEFAULT 0,
         failed int NOT NULL DEFAULT 0,
         deleted boolean NOT NULL DEFAULT false)`,
      `CREATE INDEX rm_tasks_newest ON ${s}.rm_tasks (posted_at DESC, id DESC) WHERE NOT deleted`,
      `CREATE INDEX rm_tasks_tenant_newest ON ${s}.rm_tasks (tenant, posted_at DESC, id DESC) WHERE NOT deleted`,
      `CREATE TABLE ${s}.rm_task_servers (
         task_id text COLLATE "C" NOT NULL,
         server_id text COLLATE "C" NOT NULL,
         position int NOT NULL,
         reseller text NOT NULL,
         status text NOT NULL,
         started_at timestamptz,
         finished_at timestamptz,
         attempt int NOT NULL DEFAULT 1,
         error_log jsonb NOT NULL DEFAULT '[]',
         PRIMARY KEY (task_id, server_id))`,
      `CREATE INDEX rm_task_servers_server ON ${s}.rm_task_servers (server_id)`,
    ],
  },
  {
    version: 3,
    name: 'scheduling: task progress changes for the taskProgress subscription',
    statements: (s) => [
      // Written by the task projection in its transaction; every gateway instance tails the committed rows
      // in (tx_id, seq) order and publishes them to its subscribers.
      `CREATE TABLE ${s}.rm_task_progress_changes (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
         task_id text NOT NULL,
         tenant text,
         status text NOT NULL,
         completed int NOT NULL,
         failed int NOT NULL,
         total int NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX rm_task_progress_changes_order ON ${s}.rm_task_progress_changes (tx_id, seq)`,
    ],
  },
  {
    version: 4,
    name: 'scheduling: per-server phase and job log from the execution events',
    statements: (s) => [
      `ALTER TABLE ${s}.rm_task_servers ADD COLUMN IF NOT EXISTS phase text`,
      `ALTER TABLE ${s}.rm_task_servers ADD COLUMN IF NOT EXISTS log jsonb NOT NULL DEFAULT '[]'`,
    ],
  },
  {
    version: 5,
    name: 'redundancy: pairs, their members, and pair changes for the redundancyChanged subscription',
    statements: (s) => [
      // Never the redundancy key hash.
      `CREATE TABLE ${s}.rm_pairs (
         id text COLLATE "C" PRIMARY KEY,
         tenant text,
         active_role text NOT NULL,
         auto_failover boolean NOT NULL,
         keep_alive_interval_sec double precision NOT NULL,
         failover_threshold_sec double precision NOT NULL,
         hold_down_sec double precision NOT NULL,
         switch_address text NOT NULL,
         notification_targets jsonb NOT NULL DEFAULT '[]',
         configured_at timestamptz NOT NULL,
         configured_by text NOT NULL,
         last_switch_id text,
         last_switchover_at timestamptz,
         last_switchover_reason text,
         last_switchover_kind text,
         last_switchover_by text,
         failover_blocked_reason text,
         failover_blocked_at timestamptz,
         secondary_unreachable_since timestamptz,
         isolation_warning_days_left int,
         secondary_function_lost boolean NOT NULL DEFAULT false,
         notifications jsonb NOT NULL DEFAULT '[]',
         notification_count int NOT NULL DEFAULT 0)`,
      `CREATE INDEX rm_pairs_tenant ON ${s}.rm_pairs (tenant, id)`,
      `CREATE TABLE ${s}.rm_pair_members (
         pair_id text COLLATE "C" NOT NULL,
         role text NOT NULL,
         server_id text COLLATE "C" NOT NULL,
         address text NOT NULL DEFAULT '',
         claims_control boolean NOT NULL DEFAULT false,
         switching_service text,
         ip_phone_service text,
         keep_alive_service text,
         replication_status text,
         peer_reachable boolean,
         clock_skew_ms double precision,
         available boolean NOT NULL DEFAULT true,
         unavailable_since timestamptz,
         last_keep_alive_at timestamptz,
         PRIMARY KEY (pair_id, role))`,
      `CREATE INDEX rm_pair_members_server ON ${s}.rm_pair_members (server_id)`,
      // Written by the pair projection in its transaction (the pair and its members after each event);
      // every gateway instance tails the committed rows in (tx_id, seq) order and publishes them.
      `CREATE TABLE ${s}.rm_pair_changes (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
         pair_id text NOT NULL,
         tenant text,
         event_type text NOT NULL,
         pair jsonb NOT NULL,
         members jsonb NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX rm_pair_changes_order ON ${s}.rm_pair_changes (tx_id, seq)`,
    ],
  },
  {
    version: 6,
    name: 'compliance: server counters, charges, urgent updates, patch batches, automation, changes',
    statements: (s) => [
      // One row per server with compliance events; counters are computed at query time from
      // last_installed_at and the clock. reseller_id / hosting_provider as the last event said.
      `CREATE TABLE ${s}.rm_compliance_servers (
         server_id text COLLATE "C" PRIMARY KEY,
         reseller_id text NOT NULL,
         hosting_provider text,
         last_installed_at timestamptz,
         last_install_kind text,
         last_started_by text,
         last_install_source text,
         install_count int NOT NULL DEFAULT 0,
         alerted boolean NOT NULL DEFAULT false,
         breached boolean NOT NULL DEFAULT false,
         operations_scheduled boolean NOT NULL DEFAULT false,
         unapproved_flag_count int NOT NULL DEFAULT 0,
         last_emergency_update_id text,
         last_emergency_at timestamptz)`,
      `CREATE INDEX rm_compliance_servers_reseller ON ${s}.rm_compliance_servers (reseller_id)`,
      `CREATE TABLE ${s}.rm_compliance_charges (
         event_id text PRIMARY KEY,
         server_id text COLLATE "C" NOT NULL,
         reseller_id text NOT NULL,
         amount_cents bigint NOT NULL,
         currency text NOT NULL,
         reason text NOT NULL,
         days_since_last_update int,
         installed_at timestamptz NOT NULL,
         at timestamptz NOT NULL)`,
      `CREATE INDEX rm_compliance_charges_at ON ${s}.rm_compliance_charges (at, event_id)`,
      `CREATE INDEX rm_compliance_charges_reseller_at ON ${s}.rm_compliance_charges (reseller_id, at, event_id)`,
      `CREATE TABLE ${s}.rm_urgent_updates (
         id text COLLATE "C" PRIMARY KEY,
         patches jsonb NOT NULL,
         reason text NOT NULL,
         declared_by text NOT NULL,
         declared_at timestamptz NOT NULL,
         completed boolean NOT NULL DEFAULT false,
         completed_at timestamptz)`,
      `CREATE TABLE ${s}.rm_urgent_update_resellers (
         urgent_update_id text COLLATE "C" NOT NULL,
         reseller_id text COLLATE "C" NOT NULL,
         affected int NOT NULL,
         patched int NOT NULL DEFAULT 0,
         completed boolean NOT NULL DEFAULT false,
         completed_at timestamptz,
         PRIMARY KEY (urgent_update_id, reseller_id))`,
      `CREATE INDEX rm_urgent_update_resellers_reseller ON ${s}.rm_urgent_update_resellers (reseller_id)`,
      // Each affected server once, so that a repeated ServerPatched counts once.
      `CREATE TABLE ${s}.rm_urgent_update_servers (
         urgent_update_id text COLLATE "C" NOT NULL,
         server_id text COLLATE "C" NOT NULL,
         reseller_id text NOT NULL,
         patched_at timestamptz,
         PRIMARY KEY (urgent_update_id, server_id))`,
      `CREATE TABLE ${s}.rm_patch_batches (
         id text COLLATE "C" PRIMARY KEY,
         state text NOT NULL,
         patches jsonb NOT NULL,
         downloaded_by text NOT NULL,
         downloaded_at timestamptz NOT NULL,
         internal_server_ids jsonb,
         piloted_at timestamptz,
         watch_ends_at timestamptz,
         approved_by text,
         approved_at timestamptz)`,
      `CREATE TABLE ${s}.rm_patch_automation (
         reseller_id text COLLATE "C" PRIMARY KEY,
         enabled boolean NOT NULL,
         schedule jsonb,
         set_by text NOT NULL,
         set_at timestamptz NOT NULL)`,
      // Written by the compliance projection in its transaction (one row per server compliance event);
      // every gateway instance tails the committed rows in (tx_id, seq) order and publishes them.
      `CREATE TABLE ${s}.rm_compliance_changes (
         seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
         server_id text NOT NULL,
         reseller_id text NOT NULL,
         event_type text NOT NULL,
         at timestamptz NOT NULL,
         recorded_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE INDEX rm_compliance_changes_order ON ${s}.rm_compliance_changes (tx_id, seq)`,
    ],
  },
];

/** Applies the pending read-model migrations in one transaction, one instance at a time. */
export async function migrateReadModels(store: EventStore, schemaName: string): Promise<void> {
  const s = `"${schemaName}"`;
  await store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${schemaName}:gateway-read-models`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${s}.rm_migrations (
         version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await tx.query<{ version: number }>(`SELECT version FROM ${s}.rm_migrations`);
    const applied = new Set(rows.map((r) => Number(r.version)));
    for (const m of READ_MODEL_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements(s)) await tx.query(statement);
      await tx.query(`INSERT INTO ${s}.rm_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
  });
}
