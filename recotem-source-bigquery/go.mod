module github.com/codelibs/recotem-go/recotem-source-bigquery

go 1.26.0

require github.com/codelibs/recotem-go/pkg v0.0.0

replace github.com/codelibs/recotem-go/pkg => ../pkg
