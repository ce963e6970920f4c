package admin_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"balance/models"
	"balance/service/admin"
)

// secretColumns are columns no resource may declare: bearer secrets and what unlocks them.
var secretColumns = map[string][]string{
	"deep_links": {"code"}, // whoever sends /start <code> uses the link
}

// TestDeclarationsNameColumnsAndHoldNoSecrets: every resource is its model's table, every field
// one of its columns, and no field is an encrypted (P2) column not marked P2, or a secret.
func TestDeclarationsNameColumnsAndHoldNoSecrets(t *testing.T) {
	cache := &sync.Map{}
	for _, res := range admin.Resources() {
		s, err := schema.Parse(res.Model, cache, schema.NamingStrategy{})
		if err != nil {
			t.Fatalf("%s: %v", res.Name, err)
		}
		if s.Table != res.Name {
			t.Errorf("resource %s is the model of table %s", res.Name, s.Table)
		}
		for _, f := range res.Fields {
			if f.Type == admin.References { // a join table's ids, read through Refs
				continue
			}
			col, ok := s.FieldsByDBName[f.Name]
			switch {
			case !ok:
				t.Errorf("%s.%s is not a column", res.Name, f.Name)
			case strings.EqualFold(col.TagSettings["SERIALIZER"], "fernet") && !f.P2:
				t.Errorf("%s.%s is encrypted (P2) but not declared P2", res.Name, f.Name)
			case slices.Contains(models.AuditSecretFields, f.Name) || strings.HasSuffix(f.Name, "_hash") ||
				slices.Contains(secretColumns[res.Name], f.Name):
				t.Errorf("%s.%s is a secret", res.Name, f.Name)
			}
		}
	}
}

// TestP2IsOnlyTheOwners: a P2 field is declared only on resources the owner alone may show (the
// registry also hides P2 from other roles, and every read of it is audited).
func TestP2IsOnlyTheOwners(t *testing.T) {
	for _, res := range admin.Resources() {
		for _, f := range res.Fields {
			if f.P2 && !slices.Equal(res.Access[admin.Show], []models.Role{models.RoleOwner}) {
				t.Errorf("%s.%s is P2 but %v may show it", res.Name, f.Name, res.Access[admin.Show])
			}
		}
	}
}
