package io.backbeat.work;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method whose result must be inspected (for example an {@link OfferResult}). Static
 * analysers that match annotations by the simple name {@code CheckReturnValue} (Error Prone,
 * IntelliJ IDEA, SpotBugs) flag callers that ignore it.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.CONSTRUCTOR, ElementType.TYPE})
public @interface CheckReturnValue {
}
