package io.backbeat.pulse.config;

/** A bad flag or environment value; the message names it. The pulse exits with status 2. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String flag;

    public ConfigException(String flag, String message) {
        super("--" + flag + ": " + message);
        this.flag = flag;
    }

    /** The flag at fault (without dashes). */
    public String flag() {
        return flag;
    }
}
