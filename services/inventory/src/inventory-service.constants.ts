/** Name of the inventory service: its NATS queue group is `<ns>.inventory`. */
export const INVENTORY_SERVICE_NAME = 'inventory';

/** Lock held by the one inventory instance that tracks presence (per event-store schema). */
export const PRESENCE_LOCK = 'inventory-presence';

/** Actor of the events the presence tracker appends. */
export const PRESENCE_ACTOR = 'system:inventory-presence';
