package interactive

import "balance/models"

// crisisMessage opens the crisis answer of a run.
const crisisMessage = "Ваши ответы говорят о том, что сейчас вам может быть очень тяжело. Если вы думаете о том, " +
	"чтобы причинить себе вред, или вашей жизни угрожает опасность, обратитесь за помощью немедленно: " +
	"позвоните по одному из номеров ниже. Звонки бесплатные и анонимные. Вы не одни."

// CrisisHelp is what a run whose answers fired a crisis rule shows first.
func CrisisHelp() models.CrisisHelp { return models.NewCrisisHelp(crisisMessage) }
