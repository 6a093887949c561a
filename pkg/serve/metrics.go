package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// unknownRecipe is the recipe label of requests naming no known recipe, so
// that arbitrary URLs cannot grow the number of series (the reference used
// the URL's name).
const unknownRecipe = "_unknown"

// metrics are the server's Prometheus collectors (artifact-and-serving.md §4).
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	batchSize     *prometheus.HistogramVec
	elementErrors *prometheus.CounterVec
	degraded      *prometheus.CounterVec
	outsideVerb   prometheus.Counter
	modelLoaded   *prometheus.GaugeVec
	loadFailures  *prometheus.CounterVec
	activeRecipes prometheus.GaugeFunc
	swaps         *prometheus.CounterVec
	statFailures  *prometheus.CounterVec
	watcherErrors prometheus.Counter
	rescanErrors  *prometheus.CounterVec
	dirScanErrors *prometheus.CounterVec
	swapLatency   prometheus.Histogram
	metadataDrops *prometheus.CounterVec
}

func newMetrics(loaded func() float64) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_v1_requests_total", Help: "Verb requests by recipe, verb and status.",
	}, []string{"recipe", "verb", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "recotem_v1_request_latency_seconds", Help: "Verb request latency.",
		Buckets: []float64{.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10},
	}, []string{"recipe", "verb"})
	m.batchSize = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "recotem_v1_batch_size", Help: "Elements per batch request.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	}, []string{"recipe", "verb"})
	m.elementErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_v1_batch_element_errors_total", Help: "Failed batch elements by error code.",
	}, []string{"recipe", "verb", "code"})
	m.degraded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_v1_metadata_degraded_items_total", Help: "Items served without (fallback) or dropped for bad metadata.",
	}, []string{"recipe", "verb", "kind"})
	m.outsideVerb = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "recotem_v1_validation_errors_outside_verb_total", Help: "422 responses on paths that are not verb URLs.",
	})
	m.modelLoaded = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "recotem_model_loaded", Help: "1 when the recipe's model is loaded.",
	}, []string{"recipe"})
	m.loadFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_artifact_load_failures_total", Help: "Failed artifact loads by reason.",
	}, []string{"recipe", "reason"})
	m.activeRecipes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "recotem_active_recipes", Help: "Number of loaded recipes.",
	}, loaded)
	m.swaps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_swap_total", Help: "Watcher load attempts by result.",
	}, []string{"recipe", "result"})
	m.statFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_artifact_stat_failures_total", Help: "Artifact stat errors other than not-found.",
	}, []string{"recipe"})
	m.watcherErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "recotem_watcher_unhandled_errors_total", Help: "Watcher ticks that failed unexpectedly.",
	})
	m.rescanErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_recipe_rescan_errors_total", Help: "Known recipes whose YAML failed to parse on rescan.",
	}, []string{"recipe"})
	m.dirScanErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_recipes_dir_scan_failures_total", Help: "Recipe directory scan failures by error class.",
	}, []string{"error_class"})
	m.swapLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "recotem_swap_latency_seconds", Help: "Time from an artifact change on disk to its model being served.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.metadataDrops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "recotem_metadata_index_build_errors_total", Help: "Metadata rows skipped while building the index.",
	}, []string{"recipe"})
	m.reg.MustRegister(m.metadataDrops, m.requests, m.latency, m.batchSize, m.elementErrors, m.degraded, m.outsideVerb,
		m.modelLoaded, m.loadFailures, m.activeRecipes, m.swaps, m.statFailures, m.watcherErrors,
		m.rescanErrors, m.dirScanErrors, m.swapLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
