/** Errors that cross module boundaries carry a stable code; only the API edge maps codes to HTTP. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, issues?: { path: string; message: string }[]) {
    super('invalid_request', message, issues);
  }
}

export class UnavailableError extends AppError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** A dataset or model that cannot be used as given: retrying will not help. */
export class DataError extends AppError {
  constructor(message: string) {
    super('invalid_data', message);
  }
}
