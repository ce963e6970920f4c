package crisis_test

import (
	"testing"

	"balance/config"
	"balance/service/questions/crisis"
)

func TestDetectDefaultPhrases(t *testing.T) {
	t.Parallel()
	d, err := crisis.New(config.DefaultCrisisPhrases)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, text string
		want       bool
	}{
		// The phrases as listed.
		{"single word", "Думаю про суицид.", true},
		{"phrase", "Иногда хочу покончить с собой", true},
		{"не хочу жить", "Я не хочу жить", true},
		// Inflected forms.
		{"past tense, feminine", "Подруга покончила с собой, и я не справляюсь", true},
		{"derived adjective", "У меня суицидальные мысли", true},
		{"noun case", "Мысли о самоубийстве не отпускают", true},
		{"other pronoun form", "Боюсь, что убью себя", true},
		{"собою", "хочется покончить с собою", true},
		{"не хочется жить", "Последний месяц мне не хочется жить", true},
		{"word order", "Жить не хочется совсем", true},
		{"words between", "Я больше не хочу так жить", true},
		{"verb form", "Иногда причиняю себе вред", true},
		{"future form listed", "Боюсь, что порежу себя", true},
		{"счеты в падеже", "думала о том, чтобы свести счеты с жизнью", true},
		{"свела счёты", "мама свела счёты с жизнью", true},
		{"self-harm slang", "Был селфхарм в школе", true},
		// ё and case.
		{"ё written as е", "СВЕСТИ СЧЕТЫ С ЖИЗНЬЮ", true},
		{"upper case", "СУИЦИД", true},
		// Punctuation between the words of a phrase (within a sentence) does not hide it.
		{"comma inside", "Не хочу, правда, жить", true},
		{"hyphens and quotes", "«Покончить-с-собой» — так я думаю", true},

		// Ordinary text.
		{"everyday worry", "Как справиться с тревогой перед экзаменом?", false},
		{"relationships", "Муж не хочет обсуждать отпуск, что делать?", false},
		{"living arrangements apart", "Я хочу жить отдельно от родителей", false},
		{"убрать is not убить", "Не могу заставить себя убрать в квартире", false},
		{"жизнь alone", "Как вернуть интерес к жизни после развода?", false},
		{"across sentences", "Не хочу. Жить с этим решением я не готова", false},
		{"too far apart", "Не хочу идти к врачу, потому что жить там негде", false},
		{"empty", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Detect(tt.text); got != tt.want {
				t.Errorf("Detect(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectConfiguredPhrases(t *testing.T) {
	t.Parallel()
	d, err := crisis.New([]string{"Безысходность", "нет сил терпеть"})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		"чувствую безысходность":        true,
		"от безысходности плачу":        true,
		"Сил нет терпеть":               false, // order matters
		"у меня нет больше сил терпеть": true,
		"суицид": false, // only the configured list counts
	} {
		if got := d.Detect(text); got != want {
			t.Errorf("Detect(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestNewRefusesPhrasesThatMatchAnything(t *testing.T) {
	t.Parallel()
	for _, phrases := range [][]string{{""}, {"  ,. "}, {"с"}, {"не в"}} {
		if _, err := crisis.New(phrases); err == nil {
			t.Errorf("New(%q) accepted a phrase without a word of three letters", phrases)
		}
	}
	var none *crisis.Detector
	if none.Detect("суицид") {
		t.Error("a nil detector found a crisis")
	}
}
