// Package console serves the web console at /console: a page that signs in
// with a client token, joins rooms, shows their events live (filtered by
// room and type) and their presence, browses the event catalogue with each
// type's JSON Schema, and publishes test events with an API key.
//
// The page is built from clients/console (TypeScript, with the client of
// clients/js) into dist/, which is committed and embedded here, so that
// `go build` needs no npm; `make test-js` fails when dist/ is stale.
//
// The node mounts it when server.console is true (the development
// config.hcl sets it; the default is false):
//
//	GET  /console            the page (index.html)
//	GET  /console/{file}     app.js, app.css; with ?v=<hash> cached for good
//	GET  /console/token      whether this node mints development tokens
//	POST /console/token      mints one: {"sub", "name"?, "workspaces"?, "ttl"?}
//
// Tokens are minted only while the node's auth.jwt_secret is the shipped
// development secret (config.DevJWTSecret), and only ever signed with that
// public secret: anyone can forge such tokens anyway, so the endpoint gives
// nothing away. With any other secret POST /console/token answers 404, GET
// says {"mint": false, "reason": …}, and the page offers only "paste a
// token".
package console
