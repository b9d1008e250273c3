/** The host side of the board bridge: what the CLI and the tests import. */
export * from './errors.js';
export * from './codec.js';
export * from './cobs.js';
export * from './framing.js';
export * from './transport.js';
export * from './link.js';
export * from './board.js';
export * from './processes.js';
export * from './devices.js';
