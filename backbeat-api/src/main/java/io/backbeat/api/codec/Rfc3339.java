package io.backbeat.api.codec;

/**
 * RFC 3339 timestamps as epoch nanoseconds, without {@code java.time} formatters on the hot path.
 * Writes UTC ({@code Z}) with millisecond or nanosecond precision; reads any fraction precision
 * (0-9 digits), {@code T}/{@code t} separators and {@code Z}/{@code z}/{@code ±hh:mm} offsets.
 */
public final class Rfc3339 {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Rfc3339() {
    }

    /** {@code yyyy-mm-ddThh:mm:ss.mmmZ}: the instant truncated to the millisecond. */
    public static String formatMillis(long epochNanos) {
        char[] c = new char[24];
        long secs = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        int nanos = (int) Math.floorMod(epochNanos, NANOS_PER_SECOND);
        int at = writeDateTime(c, secs);
        c[at++] = '.';
        at = digits(c, at, nanos / 1_000_000, 3);
        c[at] = 'Z';
        return new String(c);
    }

    /** {@code yyyy-mm-ddThh:mm:ss.nnnnnnnnnZ}: full nanosecond precision. */
    public static String formatNanos(long epochNanos) {
        char[] c = new char[30];
        long secs = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        int nanos = (int) Math.floorMod(epochNanos, NANOS_PER_SECOND);
        int at = writeDateTime(c, secs);
        c[at++] = '.';
        at = digits(c, at, nanos, 9);
        c[at] = 'Z';
        return new String(c);
    }

    private static int writeDateTime(char[] c, long epochSecond) {
        long days = Math.floorDiv(epochSecond, 86_400);
        int secOfDay = Math.floorMod(epochSecond, 86_400);
        // civil from days (H. Hinnant's algorithm)
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int d = (int) (doy - (153 * mp + 2) / 5 + 1);
        int m = (int) (mp < 10 ? mp + 3 : mp - 9);
        if (m <= 2) {
            y++;
        }
        if (y < 0 || y > 9999) {
            throw new IllegalArgumentException("year " + y + " cannot be written in RFC 3339");
        }
        int at = digits(c, 0, (int) y, 4);
        c[at++] = '-';
        at = digits(c, at, m, 2);
        c[at++] = '-';
        at = digits(c, at, d, 2);
        c[at++] = 'T';
        at = digits(c, at, secOfDay / 3600, 2);
        c[at++] = ':';
        at = digits(c, at, (secOfDay / 60) % 60, 2);
        c[at++] = ':';
        return digits(c, at, secOfDay % 60, 2);
    }

    private static int digits(char[] c, int at, int v, int n) {
        for (int i = n - 1; i >= 0; i--) {
            c[at + i] = (char) ('0' + v % 10);
            v /= 10;
        }
        return at + n;
    }

    /**
     * Parses an RFC 3339 date-time into epoch nanoseconds.
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static long parse(CharSequence s) {
        int n = s.length();
        if (n < 20) {
            throw bad(s, "too short for yyyy-mm-ddThh:mm:ssZ");
        }
        int year = num(s, 0, 4);
        expect(s, 4, '-');
        int month = num(s, 5, 2);
        expect(s, 7, '-');
        int day = num(s, 8, 2);
        char t = s.charAt(10);
        if (t != 'T' && t != 't') {
            throw bad(s, "expected 'T' at position 10");
        }
        int hour = num(s, 11, 2);
        expect(s, 13, ':');
        int minute = num(s, 14, 2);
        expect(s, 16, ':');
        int second = num(s, 17, 2);
        if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59
                || second > 60) {
            throw bad(s, "date or time field out of range");
        }
        int at = 19;
        long nanos = 0;
        if (at < n && s.charAt(at) == '.') {
            at++;
            int start = at;
            while (at < n && s.charAt(at) >= '0' && s.charAt(at) <= '9') {
                if (at - start < 9) {
                    nanos = nanos * 10 + (s.charAt(at) - '0');
                } else if (at - start >= 9) {
                    throw bad(s, "more than 9 fraction digits");
                }
                at++;
            }
            int len = at - start;
            if (len == 0) {
                throw bad(s, "empty fraction");
            }
            for (int i = len; i < 9; i++) {
                nanos *= 10;
            }
        }
        if (at >= n) {
            throw bad(s, "missing offset (Z or ±hh:mm)");
        }
        int offsetSeconds;
        char o = s.charAt(at);
        if (o == 'Z' || o == 'z') {
            offsetSeconds = 0;
            at++;
        } else if (o == '+' || o == '-') {
            if (n - at != 6) {
                throw bad(s, "offset must be ±hh:mm");
            }
            int oh = num(s, at + 1, 2);
            expect(s, at + 3, ':');
            int om = num(s, at + 4, 2);
            if (oh > 23 || om > 59) {
                throw bad(s, "offset out of range");
            }
            offsetSeconds = (oh * 3600 + om * 60) * (o == '-' ? -1 : 1);
            at += 6;
        } else {
            throw bad(s, "expected Z or ±hh:mm at position " + at);
        }
        if (at != n) {
            throw bad(s, "unexpected characters after the offset");
        }
        long epochDay = daysFromCivil(year, month, day);
        long secs = epochDay * 86_400 + hour * 3600L + minute * 60L + second - offsetSeconds;
        try {
            return Math.addExact(Math.multiplyExact(secs, NANOS_PER_SECOND), nanos);
        } catch (ArithmeticException e) {
            throw bad(s, "outside the range of epoch nanoseconds (1677-2262)");
        }
    }

    private static long daysFromCivil(int y, int m, int d) {
        y -= m <= 2 ? 1 : 0;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static int daysInMonth(int y, int m) {
        return switch (m) {
            case 2 -> (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static int num(CharSequence s, int at, int len) {
        int v = 0;
        for (int i = at; i < at + len; i++) {
            char c = i < s.length() ? s.charAt(i) : 0;
            if (c < '0' || c > '9') {
                throw bad(s, "expected a digit at position " + i);
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static void expect(CharSequence s, int at, char c) {
        if (at >= s.length() || s.charAt(at) != c) {
            throw bad(s, "expected '" + c + "' at position " + at);
        }
    }

    private static IllegalArgumentException bad(CharSequence s, String why) {
        return new IllegalArgumentException("not an RFC 3339 date-time (" + why + "): '" + s + "'");
    }
}
