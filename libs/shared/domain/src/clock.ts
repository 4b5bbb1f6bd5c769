/**
 * Source of the current time. Injected wherever time matters, so that tests, replays and the
 * fleet simulator decide what "now" is.
 */
export interface Clock {
  now(): Date;
}
