/** Stable codes of the errors the service reports to its users. */
export type ServiceErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_TRADING_DAY'
  | 'DATE_OUT_OF_RANGE'
  | 'NO_SESSION'
  | 'CLOCK_MODE'
  | 'CLOCK_BACKWARDS'
  | 'INVALID_CURSOR'
  | 'INVALID_INTERVAL'
  | 'INVALID_INDICATOR'
  | 'NOT_FOUND'
  | 'BATCH_TOO_LARGE'
  | 'PAGE_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'STORE_UNAVAILABLE'
  /** The message bus (NATS) of a replicated service is unreachable: the change was not made. */
  | 'BUS_UNAVAILABLE';

/** An error meant for the user: a stable `code` and a human message. */
export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
