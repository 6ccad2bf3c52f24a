import sodiumModule from 'libsodium-wrappers';

/** The libsodium-wrappers API object; its type is the module's default export. */
export type Sodium = typeof sodiumModule;

let ready = false;
let readyPromise: Promise<void> | undefined;

/**
 * Initialise libsodium (a WebAssembly module) once per process.
 *
 * Idempotent and safe to call concurrently: every caller awaits the same
 * promise. Must be awaited before any synchronous function of the facade
 * that uses libsodium, typically once at start-up and in test setup.
 */
export function cryptoReady(): Promise<void> {
  readyPromise ??= sodiumModule.ready.then(() => {
    ready = true;
  });
  return readyPromise;
}

/**
 * The initialised libsodium API. Throws a clear programming error when
 * cryptoReady() has not completed, instead of libsodium's obscure failure.
 */
export function sodium(): Sodium {
  if (!ready) {
    throw new Error('libsodium is not initialised: await cryptoReady() before using server/crypto');
  }
  return sodiumModule;
}
