/**
 * The request and response classes of an HTTP server that serves an Express app. Express gives every
 * request and response its app's prototype as it takes them (`Object.setPrototypeOf` in
 * `app.handle`), and V8 then runs everything that touches those objects on slower paths (more CPU
 * than Express's routing itself: docs/benchmarks.md). Made with the app's prototypes from the start,
 * they need no change (setting the prototype an object has is a no-op).
 */
import http from 'node:http';
import type { Socket } from 'node:net';

/** What an Express app gives its requests and responses (`app.request`, `app.response`). */
export interface AppPrototypes {
  request: object;
  response: object;
}

export function isExpressApp(handler: unknown): handler is AppPrototypes {
  const { request, response } = (handler ?? {}) as Partial<AppPrototypes>;
  return request instanceof http.IncomingMessage && response instanceof http.ServerResponse;
}

/** Node's http constructors are functions that initialise `this` (not classes). */
type NodeConstructor = (this: object, ...args: unknown[]) => void;

export function serverClasses({ request, response }: AppPrototypes): Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
  // Node's constructors run on objects made with the app's prototypes. Not Reflect.construct with a
  // new.target: V8 lays out the objects it makes that way worse (slower than Express's change here).
  function AppIncomingMessage(this: http.IncomingMessage, socket: Socket): void {
    (http.IncomingMessage as unknown as NodeConstructor).call(this, socket);
  }
  AppIncomingMessage.prototype = request;
  function AppServerResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: object): void {
    (http.ServerResponse as unknown as NodeConstructor).call(this, req, options);
  }
  AppServerResponse.prototype = response;
  return {
    IncomingMessage: AppIncomingMessage as unknown as typeof http.IncomingMessage,
    ServerResponse: AppServerResponse as unknown as typeof http.ServerResponse,
  };
}
