/** A Spring Boot 3 service embedding Swell. */
package dev.swell.samples.spring;
