/*
 * The portable core of the reference firmware: framing (COBS + CRC-32), the protocol
 * (docs/bridge-protocol.md), the image reader (docs/firmware-image.md) and the event-driven
 * executor. Every buffer is static, sized at build time by the BRIDGE_* macros below (a port may
 * override them with -D); nothing is allocated after start-up.
 */
#ifndef BRIDGE_H
#define BRIDGE_H

#include "bridge_port.h"

#ifndef BRIDGE_PROTOCOL_VERSION /* overridden only to build a mismatched board for the host's tests */
#define BRIDGE_PROTOCOL_VERSION 1u
#endif
#define BRIDGE_FIRMWARE_VERSION "0.1.0"

#ifndef BRIDGE_MODEL_BYTES          /* each of the two image slots (active + staging) */
#define BRIDGE_MODEL_BYTES (512u * 1024u)
#endif
#ifndef BRIDGE_ARENA_BYTES          /* the runtime's per-record values, membranes, counters */
#define BRIDGE_ARENA_BYTES (512u * 1024u)
#endif
#ifndef BRIDGE_INPUT_BYTES
#define BRIDGE_INPUT_BYTES (16u * 1024u)
#endif
#ifndef BRIDGE_RESULT_BYTES
#define BRIDGE_RESULT_BYTES (8u * 1024u)
#endif
#ifndef BRIDGE_MAX_LAYERS
#define BRIDGE_MAX_LAYERS 64u
#endif
#ifndef BRIDGE_MAX_TIMESTEPS
#define BRIDGE_MAX_TIMESTEPS 64u
#endif
#ifndef BRIDGE_WINDOW_FRAMES        /* reply cache entries = requests in flight */
#define BRIDGE_WINDOW_FRAMES 8u
#endif
#define BRIDGE_MAX_CHUNK_BYTES 1024u
#define BRIDGE_MAX_FRAME_BYTES 1100u /* encoded, without the 0x00 delimiter */
#ifndef BRIDGE_WINDOW_BYTES         /* the port's receive buffer must hold this much */
#define BRIDGE_WINDOW_BYTES (BRIDGE_WINDOW_FRAMES * BRIDGE_MAX_FRAME_BYTES)
#endif

/* Starts the core with its port (call once, before anything else). */
void bridge_init(const bridge_port *port);

/* Feeds received bytes; complete frames are decoded and answered through port->write. */
void bridge_receive(const uint8_t *bytes, size_t count);

#endif
