/**
 * Mailroom's custom metrics, written as CloudWatch EMF documents on stdout by Powertools Metrics. Code counts
 * with countMetric(); the function wrappers publish once per invocation (httpHandler's middleware,
 * queueConsumer after each batch, the campaign step and the SES receipt function when they finish), so a batch
 * of sends is one log line, not one per email.
 *
 * The alarms and dashboard read every metric without dimensions (lib/metric-names.ts). Powertools adds a
 * `service` dimension by default, which would put the counts in another series, so the default is dropped and
 * each document names the empty dimension set explicitly (EMF creates one metric per dimension set, none for none).
 * Offline (npm run dev, the tests) POWERTOOLS_METRICS_DISABLED keeps the documents off stdout.
 */
import type middy from '@middy/core';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName } from '../../lib/metric-names.js';

const NO_DIMENSIONS = {};

function newMetrics(): Metrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'mailroom' });
  metrics.clearDefaultDimensions();
  return metrics;
}

const metrics = newMetrics();

/** Counts `value` occurrences of `name` in this invocation; published with the invocation's other metrics. */
export function countMetric(name: MetricName, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Counts `name` both in total (the series the alarms read) and under one dimension (DlqMoves by queue). Written at
 * once as a document of its own, so the dimension does not spread to the invocation's other metrics.
 */
export function countMetricBy(name: MetricName, dimension: string, dimensionValue: string, value = 1): void {
  const single = newMetrics();
  single.addDimensions(NO_DIMENSIONS);
  single.addDimensions({ [dimension]: dimensionValue });
  single.addMetric(name, MetricUnit.Count, value);
  single.publishStoredMetrics();
}

/** Writes what this invocation counted, if anything (a function that counted nothing writes no line). */
export function publishMetrics(): void {
  if (!metrics.hasStoredMetrics()) return;
  metrics.addDimensions(NO_DIMENSIONS);
  metrics.publishStoredMetrics();
}

/** httpHandler's flush: after the response, whether the handler succeeded or failed. */
export function metricsPublisher<E, R>(): middy.MiddlewareObj<E, R> {
  return { after: publishMetrics, onError: publishMetrics };
}
