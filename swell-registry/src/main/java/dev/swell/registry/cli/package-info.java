/**
 * The registry's command-line tool: publish, list, show, alias, promote, rollback, log, verify,
 * diff and gc, with {@code --json} output. Run it with {@code java -jar swell-registry-cli.jar}.
 */
package dev.swell.registry.cli;
