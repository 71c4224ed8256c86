/** The errors of a request past its runtime budget (docs/limits.md): 400 QUERY_TOO_COMPLEX, naming it. */
import { ErrorCode, GatewayError } from './codes';

export function documentBudgetExceeded(max: number): GatewayError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `The request read more than ${max} documents (MAX_DOCUMENTS_PER_REQUEST); ask for fewer`);
}

/** The events of one live tick, read together, past their shared budget (MAX_DOCUMENTS_PER_REQUEST per event). */
export function eventsBudgetExceeded(perEvent: number): GatewayError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `The events of this update read more than ${perEvent} documents each (MAX_DOCUMENTS_PER_REQUEST per event); ask for fewer`);
}

export function responseTooLarge(max: number): GatewayError {
  return new GatewayError(ErrorCode.QUERY_TOO_COMPLEX, `The response would be larger than ${max} bytes (MAX_RESPONSE_BYTES); ask for less`);
}
