/**
 * Internals of the client SDK: frame validation ({@code FrameGate}, pure), per-listener serial
 * lanes ({@code ListenerSlot}), the callback pool ({@code LaneExecutor}) and the NATS adapter.
 * Not an API: these types may change without notice.
 */
package io.backbeat.client.internal;
