package io.backbeat.testkit;

import io.backbeat.api.BeatFrame;
import io.backbeat.api.ClusterId;
import io.backbeat.api.EpochClock;
import io.backbeat.api.PendingTempo;
import io.backbeat.api.Timeline;
import io.backbeat.api.TimelineDescriptor;
import io.backbeat.api.codec.BackbeatCodec;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The test pulse on a real nats-server: it publishes by the pulse's rule. */
@Timeout(60)
class TestPulseTest {
    private static final List<String> PHASES = TimelineDescriptor.DEFAULT_PHASES;

    private record Arrival(BeatFrame frame, long epochNanos) {
    }

    @Test
    void framesNeverRepeatOrGoBackAndFollowATempoChange() throws Exception {
        List<Arrival> got = new CopyOnWriteArrayList<>();
        long changeAt;
        try (NatsTestServer nats = NatsTestServer.start(); Connection nc = Nats.connect(nats.url())) {
            Dispatcher dispatcher = nc.createDispatcher(msg -> got.add(
                    new Arrival(BackbeatCodec.decodeFrame(msg.getData()), EpochClock.system().epochNanos())));
            dispatcher.subscribe(ClusterId.beatSubject("test-pulse"));
            nc.flush(java.time.Duration.ofSeconds(5));
            long anchor = EpochClock.system().epochNanos() - 500_000_000L;
            // 60 BPM: phases of 333 ms, so a loaded machine's hiccups do not drop the frames looked at
            TimelineDescriptor d = new TimelineDescriptor("test-pulse", anchor, 0, 60, 2, PHASES, 1, "test-pulse",
                    null);
            try (TestPulse pulse = TestPulse.start(nats.url(), d)) {
                Thread.sleep(2_500);
                long now = EpochClock.system().epochNanos();
                Timeline t = Timeline.of(d);
                changeAt = t.downbeatOf(t.beatIndexAt(now)) + 2L * d.beatsPerBar();
                pulse.setDescriptor(d.withPending(new PendingTempo(66, changeAt)));
                Thread.sleep((t.beatStartNanos(changeAt + 2) - now) / 1_000_000);
            }
            Thread.sleep(200);
        }
        assertThat(got).hasSizeGreaterThan(8);
        assertThat(got.get(0).frame().beatIndex()).as("from the first phases after the start").isBetween(0L, 1L);
        BeatFrame last = got.get(got.size() - 1).frame();
        for (int i = 1; i < got.size(); i++) {
            BeatFrame a = got.get(i - 1).frame();
            BeatFrame b = got.get(i).frame();
            assertThat(ordinal(b)).as("after %s: %s", a, b).isGreaterThan(ordinal(a));
            assertThat(got.get(i).epochNanos()).as("sent before its deadline").isLessThan(b.deadlineEpochNanos());
        }
        for (Arrival a : got) {
            assertThat(a.frame().tempoBpm()).as("beat %d", a.frame().beatIndex())
                    .isEqualTo(a.frame().beatIndex() < changeAt ? 60.0 : 66.0);
        }
        assertThat(last.tempoBpm()).as("the change was reached").isEqualTo(66.0);
    }

    private static long ordinal(BeatFrame f) {
        return f.beatIndex() * PHASES.size() + PHASES.indexOf(f.phase());
    }
}
