// Package users is a stand-in for your user database: the accounts the examples recognise, each
// with the credentials they accept (an access token and an API key). Demo values, not secrets;
// the same accounts as examples/shared/users.ts.
package users

// Account is one user of the notes service.
type Account struct {
	ID, Name     string
	Role         string // admin, editor or viewer
	Organisation string
	Plan         string // free, team or enterprise
	Token        string // accepted by token-auth and mcp-auth
	APIKey       string // accepted by api-key
}

// Accounts are everyone the examples know.
var Accounts = []Account{
	{"u_ada", "Ada Lovelace", "admin", "Analytical Engines", "enterprise", "tok_ada_7f3c1e", "key_ada_51b0d2"},
	{"u_grace", "Grace Hopper", "editor", "Compiler Works", "team", "tok_grace_a90e44", "key_grace_c3d811"},
	{"u_linus", "Linus Torvalds", "editor", "Kernel Folks", "team", "tok_linus_0b7d29", "key_linus_e4a6f0"},
	{"u_margaret", "Margaret Hamilton", "admin", "Apollo Guidance", "enterprise", "tok_margaret_64c2ab", "key_margaret_98f1e3"},
	{"u_alan", "Alan Turing", "viewer", "Bletchley Labs", "free", "tok_alan_2e9f57", "key_alan_7c05b8"},
	{"u_barbara", "Barbara Liskov", "viewer", "Substitution Inc", "free", "tok_barbara_d1f6c0", "key_barbara_3a7e92"},
}

func find(match func(Account) bool) *Account {
	for i := range Accounts {
		if match(Accounts[i]) {
			return &Accounts[i]
		}
	}
	return nil
}

// ByID, ByToken and ByAPIKey return the matching account, or nil.
func ByID(id string) *Account       { return find(func(a Account) bool { return a.ID == id }) }
func ByToken(token string) *Account { return find(func(a Account) bool { return a.Token == token }) }
func ByAPIKey(key string) *Account  { return find(func(a Account) bool { return a.APIKey == key }) }
