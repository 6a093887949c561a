package report

import "html/template"

// page is the report template. Every value from the run is escaped by
// html/template; only the plot SVGs (drawn here) and the font rule are
// inserted verbatim.
var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.FontCSS}}
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dde2e8;--soft:#f5f7fa;--accent:#1f4e9b;--best:#fff4c2;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:22px;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:17px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 18px}
code,.mono{font-family:ui-monospace,"Liberation Mono",Menlo,Consolas,monospace;font-size:12.5px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:14px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--soft)}
.card h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 8px}
.card.best{background:var(--best);border-color:#e9d27a}
.big{font-size:26px;font-weight:600;margin:0 0 2px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.best td{background:var(--best);font-weight:600}
tr.pruned td{color:var(--muted)}
tr.failed td{color:var(--bad)}
td.algo{white-space:nowrap}
td.err{white-space:pre-wrap;overflow-wrap:anywhere;max-width:420px}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:baseline}
.kv{display:inline-block;margin:0 10px 0 0;white-space:nowrap}
.kv b{font-weight:normal;color:var(--muted)}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff}
figure svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:12.5px;margin-top:4px}
.note{color:var(--muted);font-size:13px}
.state{font-size:12px;padding:1px 6px;border-radius:9px;border:1px solid currentColor}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="sub">Run <span class="mono">{{if .S.RunID}}{{.S.RunID}}{{else}}—{{end}}</span> · {{.Started}} → {{.Finished}} ({{.Elapsed}}) · {{.Counts.Total}} trials</p>

<div class="cards">
<div class="card best">
<h3>Best model</h3>
{{- if .HasBest}}
<p class="big">{{.BestAlgo}} · {{.BestScore}}</p>
<p class="note">{{.Metric}} of trial {{.S.Best.Number}}</p>
<dl>
{{- range .BestParams}}<dt>{{.K}}</dt><dd class="mono">{{.V}}</dd>{{end}}
{{- range .BestAttrs}}<dt>{{.K}}</dt><dd class="mono">{{.V}}</dd>{{end}}
</dl>
{{- else}}
<p class="big">none</p>
<p class="note">No trial completed, so no model was chosen.</p>
{{- end}}
</div>
<div class="card">
<h3>Run</h3>
<dl>
<dt>recipe</dt><dd>{{if .S.Recipe}}{{.S.Recipe}}{{else}}—{{end}}</dd>
<dt>recipe hash</dt><dd class="mono">{{if .S.RecipeHash}}{{.S.RecipeHash}}{{else}}—{{end}}</dd>
<dt>run id</dt><dd class="mono">{{if .S.RunID}}{{.S.RunID}}{{else}}—{{end}}</dd>
<dt>started</dt><dd>{{.Started}}</dd>
<dt>finished</dt><dd>{{.Finished}}</dd>
<dt>artifact</dt><dd class="mono">{{if .S.Artifact}}{{.S.Artifact}}{{else}}not written{{end}}</dd>
<dt>model version</dt><dd class="mono">{{if .S.ModelVersion}}{{.S.ModelVersion}}{{else}}—{{end}}</dd>
</dl>
</div>
<div class="card">
<h3>Data</h3>
<dl>{{range .Data}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>
</div>
<div class="card">
<h3>Validation split</h3>
<dl>{{range .Split}}<dt>{{.K}}</dt><dd>{{.V}}</dd>{{end}}</dl>
</div>
</div>

<h2>Search</h2>
<p class="note">{{.Counts.Total}} trials: {{.Counts.Complete}} complete, {{.Counts.Pruned}} pruned, {{.Counts.Failed}} failed{{if .Counts.Running}}, {{.Counts.Running}} running{{end}}.
{{- if .HasUnplotted}} {{.Unplotted}} trials without a score (failed, running, or pruned before their first validation) are not plotted.{{end}}
{{- if .PrunedPlots}} Hollow markers are pruned trials at their best intermediate score.{{end}}</p>
{{- if .Algorithms}}
<table>
<thead><tr><th>algorithm</th><th class="num">trials</th><th class="num">complete</th><th class="num">pruned</th><th class="num">failed</th><th class="num">best {{.Metric}}</th><th class="num">time</th></tr></thead>
<tbody>
{{- range .Algorithms}}
<tr><td class="algo"><span class="dot" style="background:{{.Color}}"></span>{{.Algo}}</td><td class="num">{{.Trials}}</td><td class="num">{{.Complete}}</td><td class="num">{{.Pruned}}</td><td class="num">{{.Failed}}</td><td class="num">{{.Best}}</td><td class="num">{{.Time}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}

<h2>Plots</h2>
<div class="plots">
{{- range .Plots}}
<figure>{{.SVG}}<figcaption>{{.Caption}}{{if .Note}} · {{.Note}}{{end}}</figcaption></figure>
{{- end}}
</div>
{{- if .Panels}}
<h2>Main hyperparameter by algorithm</h2>
<div class="panels">
{{- range .Panels}}
<figure>{{.SVG}}{{if .Note}}<figcaption>{{.Note}}</figcaption>{{end}}</figure>
{{- end}}
</div>
{{- end}}

<h2>Trials</h2>
{{- if .Trials}}
<table>
<thead><tr><th class="num">#</th><th>algorithm</th><th>state</th><th class="num">{{.Metric}}</th><th class="num">duration</th><th>parameters</th><th>error</th></tr></thead>
<tbody>
{{- range .Trials}}
<tr id="trial-{{.Number}}"{{if .IsBest}} class="best"{{else if .Bad}} class="failed"{{else if .Dim}} class="pruned"{{end}}>
<td class="num">{{.Number}}</td>
<td class="algo"><span class="dot" style="background:{{.Color}}"></span>{{.Algo}}{{if .IsBest}} ★{{end}}</td>
<td>{{.State}}</td>
<td class="num">{{.Score}}</td>
<td class="num">{{.Duration}}</td>
<td class="mono">{{range .Params}}<span class="kv"><b>{{.K}}=</b>{{.V}}</span>{{end}}{{range .Attrs}}<span class="kv"><b>{{.K}}=</b>{{.V}}</span>{{end}}</td>
<td class="err">{{.Error}}</td>
</tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="note">The study has no trials.</p>
{{- end}}
</main>
</body>
</html>
`))
