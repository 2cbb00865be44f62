/**
 * The quickstart: sentence embeddings with the real all-MiniLM-L6-v2 model served by Swell, and
 * the small BERT tokenizer it needs.
 */
package dev.swell.samples.quickstart;
