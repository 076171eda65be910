"""The fleet's metrics, CloudWatch-named: what is sampled, and statistics over periods.

``names`` says which metrics exist and how their dimensions are keyed; ``statistics`` turns
stored samples into GetMetricStatistics datapoints (SampleCount, Sum, Average, Minimum, Maximum,
and percentiles such as p95). The samples live in the store (``store.metrics``); the control
plane's sampler (``control.metrics_sampler``) writes them.
"""
