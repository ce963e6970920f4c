package interactive

import "slices"

// Crisis is what a run whose answers fired a crisis rule shows at once, before any result: a
// message to seek help now and where to find it.
type Crisis struct {
	Message   string
	Resources []CrisisResource
}

// CrisisResource is one place to get help.
type CrisisResource struct {
	Name        string
	Phone       string
	Hours       string
	Description string
}

// crisisMessage opens the crisis answer.
const crisisMessage = "Ваши ответы говорят о том, что сейчас вам может быть очень тяжело. Если вы думаете о том, " +
	"чтобы причинить себе вред, или вашей жизни угрожает опасность, обратитесь за помощью немедленно: " +
	"позвоните по одному из номеров ниже. Звонки бесплатные и анонимные. Вы не одни."

// crisisResources are real Russian helplines, kept here (not in the database) so that the crisis
// answer never depends on what an editor configured. Reviewed 2026-12; docs/site.md lists them —
// change both together, and only for numbers the services themselves publish.
var crisisResources = []CrisisResource{
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

// CrisisHelp returns the crisis message with the helplines (a copy: callers may not change ours).
func CrisisHelp() Crisis {
	return Crisis{Message: crisisMessage, Resources: slices.Clone(crisisResources)}
}
