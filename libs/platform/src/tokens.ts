/** Injection token of the validated {@link FleetwardenConfig}. */
export const PLATFORM_CONFIG = Symbol.for('fleetwarden.platform.config');
/** Injection token of the process's {@link EventStore} (migrated). */
export const EVENT_STORE = Symbol.for('fleetwarden.platform.event-store');
/** Injection token of the process's NATS connection. */
export const NATS_CONNECTION = Symbol.for('fleetwarden.platform.nats-connection');
/** Injection token of the JetStream manager on that connection. */
export const JETSTREAM_MANAGER = Symbol.for('fleetwarden.platform.jetstream-manager');
/** Injection token of the installation's {@link Subjects}. */
export const SUBJECTS = Symbol.for('fleetwarden.platform.subjects');
/** Injection token of the {@link ProcessInfo} of this process. */
export const PROCESS_INFO = Symbol.for('fleetwarden.platform.process-info');
/** Injection token of the process {@link Clock} (runs at `FLEETWARDEN_CLOCK_SPEED`). */
export const CLOCK = Symbol.for('fleetwarden.platform.clock');
