package io.backbeat.bench;

import io.backbeat.testkit.NatsTestServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The floor under {@link PulseJitterHarness}: a bare jnats publisher and a dispatcher subscriber on
 * a real nats-server on loopback, 330-byte messages at the pulse's rate (120 BPM × 3 phases = 6 per
 * second), each published at an absolute instant (park to 1 ms before, then spin), exactly as the
 * pulse's emitter does, but with no pulse, no codec and no consensus. Prints send → receive
 * percentiles and the duration of the {@code publish} call.
 *
 * <p>Usage: {@code NatsFloorHarness [seconds=60] [perSecond=6]}; the first 3 s are warm-up. A
 * command-line tool only.
 */
public final class NatsFloorHarness {

    private NatsFloorHarness() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int perSecond = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int n = seconds * perSecond;
        int warm = 3 * perSecond;
        long period = 1_000_000_000L / perSecond;
        long[] sent = new long[n];
        long[] received = new long[n];
        long[] publishCall = new long[n];
        try (NatsTestServer server = NatsTestServer.start();
             Connection pub = Nats.connect(server.url());
             Connection sub = Nats.connect(server.url())) {
            Dispatcher d = sub.createDispatcher(m -> {
                long now = System.nanoTime();
                int i = ByteBuffer.wrap(m.getData()).getInt();
                if (i >= 0 && i < n) {
                    received[i] = now;
                }
            });
            d.subscribe("floor");
            sub.flush(Duration.ofSeconds(5));
            byte[] payload = new byte[330];
            long start = System.nanoTime() + 500_000_000L;
            for (int i = 0; i < n; i++) {
                long due = start + i * period;
                long left;
                while ((left = due - System.nanoTime()) > 1_000_000L) {
                    LockSupport.parkNanos(left - 1_000_000L);
                }
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                ByteBuffer.wrap(payload).putInt(i);
                long t0 = System.nanoTime();
                pub.publish("floor", payload);
                publishCall[i] = System.nanoTime() - t0;
                sent[i] = t0;
            }
            Thread.sleep(500);
        }
        List<Long> lat = new ArrayList<>();
        List<Long> call = new ArrayList<>();
        int lost = 0;
        for (int i = warm; i < n; i++) {
            if (received[i] == 0) {
                lost++;
            } else {
                lat.add(received[i] - sent[i]);
            }
            call.add(publishCall[i]);
        }
        Collections.sort(lat);
        Collections.sort(call);
        System.out.printf("bare jnats, %d msgs at %d/s: send -> receive (ms) p50 %.3f p95 %.3f p99 %.3f max %.3f; lost %d%n",
                lat.size(), perSecond, pct(lat, 0.50) / 1e6, pct(lat, 0.95) / 1e6, pct(lat, 0.99) / 1e6,
                lat.get(lat.size() - 1) / 1e6, lost);
        System.out.printf("publish call (us) p50 %.1f p95 %.1f p99 %.1f%n", pct(call, 0.50) / 1e3,
                pct(call, 0.95) / 1e3, pct(call, 0.99) / 1e3);
    }

    private static long pct(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * q) - 1));
    }
}
