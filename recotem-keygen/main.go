// Command recotem-keygen generates a signing key (for RECOTEM_SIGNING_KEYS)
// or an API key (for RECOTEM_API_KEYS) and prints the kid, the plaintext and
// the ready-to-use environment entry. The plaintext is shown only once.
package main

import (
	"os"

	"github.com/codelibs/recotem-go/pkg/cmdline"
	"github.com/codelibs/recotem-go/pkg/keys"
)

func main() {
	app := cmdline.New("recotem-keygen", "Generate a signing or API key and print its environment entry.")
	typ := app.Flag("type", "Key type: 'signing' (HMAC artifact key) or 'api' (client authentication key).").
		Default(keys.TypeSigning).String()
	kid := app.Flag("kid", "Key id, [A-Za-z0-9_.-]{1,32} (default: 8 random lowercase hex characters).").String()
	cmdline.Parse(app, os.Args[1:])

	g, err := keys.Generate(*typ, *kid, nil)
	if err == nil {
		_, err = g.WriteTo(os.Stdout)
	}
	cmdline.Exit("Error", err)
}
