package io.backbeat.examples;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code java -jar backbeat-examples.jar <command> [flags]}: one sub-command per example.
 */
public final class Main {
    private Main() {
    }

    private static final String USAGE = String.join("\n",
            "usage: java -jar backbeat-examples.jar <command> [--nats URL] [--cluster ID] [--duration 30s] [--grace 80ms] ...",
            "commands:",
            "  single     single-threaded processor; prints beat=<i> phase=<p> degraded=<b> term=<n> per callback",
            "  pipelined  one worker stage per phase joined by bounded queues",
            "  batch      adaptive batch worker (--item-cost 2ms --rate 500)",
            "  watch      a live one-line view of the beat (--plain true for one line per phase)",
            "  advise     tempo advice from the tempo guide's rules (--task 5s --recovery 5s --interval 2m ...)",
            "  stages     red/blue stage pipeline; --slow <stage> and the snapshot names the bottleneck");

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "single" -> SingleThreadedExample.run(rest, out);
                case "pipelined" -> PipelinedExample.run(rest, out);
                case "batch" -> AdaptiveBatchExample.run(rest, out);
                case "watch" -> WatchCommand.run(rest, out);
                case "advise" -> AdviseCommand.run(rest, out);
                case "stages" -> StagesExample.run(rest, out);
                default -> {
                    err.println("unknown command '" + args[0] + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (Args.BadArgs e) {
            err.println(args[0] + ": " + e.getMessage());
            return 2;
        }
    }
}
