/** The webapp's error body, which every answer outside /graphql keeps: `{message, code}`, the code being the HTTP status. */
import type { Request, Response } from 'express';

export interface LegacyErrorBody {
  message: string;
  code: number;
  /** Only on a 500, for the log line of the defect to be found by. */
  requestId?: string;
}

export function legacyErrorBody(message: string, status: number, requestId?: string): LegacyErrorBody {
  return requestId === undefined ? { message, code: status } : { message, code: status, requestId };
}

/** The answer of a path nothing serves. */
export function notFound(_req: Request, res: Response): void {
  res.status(404).json(legacyErrorBody('Not found', 404));
}
