import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands every exception to the JetStream transport unchanged, so that command replies keep the
 * error's `code` and dead letters its message. Without it Nest replaces errors that are not
 * `RpcException`s with a generic "Internal server error". Register it on the microservice:
 * `app.useGlobalFilters(new JetStreamExceptionFilter())`.
 */
@Catch()
export class JetStreamExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
