package models

import "slices"

// CrisisHelp is what a client who wrote or answered of a crisis (a self-help run whose crisis rule
// fired, a question that speaks of suicide) is shown at once, before any result or moderation: a
// message urging them to seek help now, and where to find it.
type CrisisHelp struct {
	Message   string
	Helplines []CrisisHelpline
}

// CrisisHelpline is one place to get help at once.
type CrisisHelpline struct {
	Name        string
	Phone       string
	Hours       string
	Description string
}

// crisisHelplines are real Russian helplines, kept in code (not in the database) so that the
// crisis answer never depends on what an editor configured. Reviewed 2026-12; docs/site.md lists
// them — change both together, and only for numbers the services themselves publish.
var crisisHelplines = []CrisisHelpline{
	{
		Name: "Единый номер экстренных служб", Phone: "112", Hours: "круглосуточно",
		Description: "Если жизни угрожает опасность прямо сейчас: скорая помощь, полиция, спасатели. Бесплатно с любого телефона.",
	},
	{
		Name: "Телефон доверия для детей, подростков и их родителей", Phone: "8-800-2000-122", Hours: "круглосуточно",
		Description: "Бесплатно и анонимно по всей России.",
	},
	{
		Name: "Экстренная психологическая помощь МЧС России", Phone: "+7 (495) 989-50-50", Hours: "круглосуточно",
		Description: "Психологи МЧС помогают в острой кризисной ситуации.",
	},
}

// NewCrisisHelp is message with the helplines (a copy: callers may not change the list).
func NewCrisisHelp(message string) CrisisHelp {
	return CrisisHelp{Message: message, Helplines: slices.Clone(crisisHelplines)}
}
