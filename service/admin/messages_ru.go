package admin

import (
	"errors"
	"regexp"

	"balance/models"
)

// The models explain a bad value in English (the public API speaks English); staff read Russian.
// russianMessages translates the models' messages for every admin form (inputError applies it),
// keeping the field; an unknown message passes through unchanged.
var russianMessages = []struct {
	re *regexp.Regexp
	ru string
}{
	{regexp.MustCompile(`^is required$`), "обязательное поле"},
	{regexp.MustCompile(`^is required to publish$`), "нужно заполнить перед публикацией"},
	{regexp.MustCompile(`^is required to publish a video$`), "у видео перед публикацией должна быть ссылка"},
	{regexp.MustCompile(`^is required for email$`), "у письма должна быть тема"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "не длиннее $1 символов"},
	{regexp.MustCompile(`^must be one line of at most (\d+) characters$`), "одна строка не длиннее $1 символов"},
	{regexp.MustCompile(`^must be 1 to (\d+) characters or absent$`), "от 1 до $1 символов или пусто"},
	{regexp.MustCompile(`^may contain only a-z, 0-9 and single dashes between them$`), "только латинские буквы a–z, цифры и одиночные дефисы между ними"},
	{regexp.MustCompile(`^must be an absolute http\(s\) URL$`), "должна быть ссылкой http(s)://"},
	{regexp.MustCompile(`^must be article, video or exercise; got .*$`), "выберите: статья, видео или упражнение"},
	{regexp.MustCompile(`^must be quiz, navigator, .*$`), "выберите вид интерактива из списка"},
	{regexp.MustCompile(`^must be a topic id$`), "выберите тему"},
	{regexp.MustCompile(`^must be positive$`), "должно быть больше нуля"},
	{regexp.MustCompile(`^must be saved tags$`), "выберите существующие теги"},
	{regexp.MustCompile(`^only a draft can be scheduled for publication$`), "запланировать публикацию можно только для черновика"},
	{regexp.MustCompile(`^must be in the future$`), "должно быть в будущем"},
	{regexp.MustCompile(`^at least one question is required$`), "нужен хотя бы один вопрос"},
	{regexp.MustCompile(`^at least two options are required$`), "нужно хотя бы два варианта ответа"},
	{regexp.MustCompile(`^at least one option is required$`), "нужен хотя бы один вариант ответа"},
	{regexp.MustCompile(`^duplicate question id (".*")$`), "вопрос с id $1 уже есть"},
	{regexp.MustCompile(`^duplicate option id (".*")$`), "вариант с id $1 уже есть"},
	{regexp.MustCompile(`^duplicate level (".*")$`), "уровень $1 уже есть"},
	{regexp.MustCompile(`^unknown question (".*")$`), "нет вопроса $1"},
	{regexp.MustCompile(`^unknown option (".*") of question (".*")$`), "у вопроса $2 нет варианта $1"},
	{regexp.MustCompile(`^are required unless options have profiles$`), "нужны диапазоны баллов, если у вариантов нет профилей"},
	{regexp.MustCompile(`^(".*") is reserved$`), "адрес $1 занят сайтом, выберите другой"},
	{regexp.MustCompile(`^no band yields level (".*")$`), "рекомендация для уровня $1, которого нет ни в одном диапазоне"},
	{regexp.MustCompile(`^no option has profile (".*")$`), "рекомендация для профиля $1, которого нет ни у одного варианта"},
	{regexp.MustCompile(`^must be low, moderate or high; got .*$`), "уровень: low, moderate или high"},
	{regexp.MustCompile(`^min_score must not exceed max_score$`), "min_score не может быть больше max_score"},
	{regexp.MustCompile(`^bands (\S+) and (\S+) overlap$`), "диапазоны $1 и $2 пересекаются"},
	{regexp.MustCompile(`^scores (-?\d+)\.\.(-?\d+) fall in no band$`), "баллы от $1 до $2 не попадают ни в один диапазон"},
	{regexp.MustCompile(`^scores from (-?\d+) to (-?\d+) fall in no band$`), "баллы от $1 до $2 не попадают ни в один диапазон"},
	{regexp.MustCompile(`^is not a valid template: (.*)$`), "шаблон с ошибкой: $1"},
	{regexp.MustCompile(`^must be empty for telegram$`), "у сообщения Telegram нет темы"},
	// Services, the weekly schedule and its exceptions.
	{regexp.MustCompile(`^must not be negative$`), "не может быть отрицательным"},
	{regexp.MustCompile(`^must be online, offline or hybrid; got .*$`), "выберите формат: онлайн, очно или оба"},
	{regexp.MustCompile(`^must be online or offline; got .*$`), "выберите: онлайн или очно"},
	{regexp.MustCompile(`^must be day_off or extra_hours; got .*$`), "выберите: выходной или дополнительные часы"},
	{regexp.MustCompile(`^must be an IANA time zone such as Europe/Moscow$`), "укажите часовой пояс, например Europe/Moscow"},
	{regexp.MustCompile(`^unknown time zone (".*")$`), "неизвестный часовой пояс $1"},
	{regexp.MustCompile(`^start_minute and end_minute go together$`), "начало и конец указываются вместе"},
	{regexp.MustCompile(`^must not exceed cancel_free_hours$`), "не больше срока бесплатной отмены"},
	{regexp.MustCompile(`^must not be before valid_from$`), "не раньше даты начала действия"},
	{regexp.MustCompile(`^must not be before date_from$`), "не раньше начальной даты"},
	{regexp.MustCompile(`^must be lower-case letters and digits separated by single hyphens, at most (\d+) characters$`), "строчные латинские буквы и цифры через одиночные дефисы, не длиннее $1 символов"},
	{regexp.MustCompile(`^must be between 0 and the price$`), "от нуля до цены услуги"},
	{regexp.MustCompile(`^must be between 0 and 1439$`), "от 0 до 1439 минут от полуночи"},
	{regexp.MustCompile(`^must be after start_minute and at most 1440$`), "позже начала и не больше 1440 минут от полуночи"},
	{regexp.MustCompile(`^must be a whole minute$`), "целое число минут"},
	{regexp.MustCompile(`^must be 1 \(Monday\) to 7 \(Sunday\)$`), "от 1 (понедельник) до 7 (воскресенье)"},
	{regexp.MustCompile(`^is required for extra hours$`), "для дополнительных часов укажите время"},
	{regexp.MustCompile(`^must be positive for a paid service$`), "у платной услуги цена больше нуля"},
	{regexp.MustCompile(`^must be an ISO 4217 code such as RUB$`), "код валюты ISO 4217, например RUB"},
	// People.
	{regexp.MustCompile(`^is not a valid email address$`), "неверный адрес электронной почты"},
	{regexp.MustCompile(`^is not a valid international phone number$`), "неверный номер телефона"},
	{regexp.MustCompile(`^may contain only digits, spaces, dashes, brackets and a leading \+$`), "только цифры, пробелы, дефисы, скобки и + в начале"},
	{regexp.MustCompile(`^must be owner, assistant or editor$`), "выберите роль: владелец, ассистент или редактор"},
	{regexp.MustCompile(`^must be (\d+) to (\d+) characters$`), "от $1 до $2 символов"},
	{regexp.MustCompile(`^must be at most (\d+) bytes$`), "слишком длинно (не больше $1 байт)"},
	{regexp.MustCompile(`^must be valid UTF-8$`), "недопустимые символы"},
	{regexp.MustCompile(`^must be absent for telegram$`), "у сообщения Telegram нет HTML-версии"},
}

// inRussian gives a model's validation error a Russian message for the form; other errors pass.
func inRussian(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	for _, m := range russianMessages {
		if m.re.MatchString(ve.Message) {
			return &models.ValidationError{Field: ve.Field, Message: m.re.ReplaceAllString(ve.Message, m.ru)}
		}
	}
	return err
}

// Refusal is a write or an action the record's state or its use does not allow (deleting a topic
// that content refers to, removing the last owner, an action in the wrong state): a 409 whose
// Message tells the person why, in Russian, and names the Field that asked for it, if one did.
type Refusal struct{ Field, Message string }

func (e *Refusal) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Unwrap makes a Refusal a models.ErrConflict.
func (e *Refusal) Unwrap() error { return models.ErrConflict }
