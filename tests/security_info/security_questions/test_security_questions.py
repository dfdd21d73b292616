"""Security questions: registering answers, deleting them, and checking them later."""

import pytest
from django.core import mail
from django.test import RequestFactory

from organizations.models import AuthenticationPolicy
from portal.ratelimits import RateLimited
from security_info.models import SecurityAnswer, SecurityQuestion
from security_info.security_questions.answers import check_answers, normalize_answer, save_answers
from signins.models import SecurityEvent
from tests.factories import make_user
from tests.security_info.conftest import mark_strong_sign_in

ADD_URL = "/security-info/security-questions/add/"
DELETE_URL = "/security-info/security-questions/delete/"
ANSWERS = ["Paris", "Rex the dog", "Mrs Dalloway", "Blue Lagoon", "Orion"]


def pool(n=5) -> list[SecurityQuestion]:
    return list(SecurityQuestion.objects.filter(is_active=True)[:n])


def form_data(questions, answers) -> dict:
    data = {}
    for n, (question, answer) in enumerate(zip(questions, answers, strict=True), start=1):
        data[f"question_{n}"] = str(question.pk) if question else ""
        data[f"answer_{n}"] = answer
    return data


def errors(response) -> dict:
    return response.context["form"].errors


def sign_in_request(user):
    request = RequestFactory().post("/reset/")
    request.user = user
    return request


def test_the_form_asks_as_many_questions_as_the_policy_requires(sudo_client, northwind):
    assert len(sudo_client.get(ADD_URL).context["form"].rows()) == 3
    AuthenticationPolicy.objects.create(organization=northwind, security_questions_required=5)
    form = sudo_client.get(ADD_URL).context["form"]
    assert len(form.rows()) == 5
    # Only questions the admin still offers are in the lists.
    SecurityQuestion.objects.filter(pk=pool(1)[0].pk).update(is_active=False)
    form = sudo_client.get(ADD_URL).context["form"]
    offered = [value for value, _label in form.fields["question_1"].choices if value]
    assert len(offered) == SecurityQuestion.objects.filter(is_active=True).count() == 34


def test_it_saves_hashes_of_the_answers_and_never_the_answers(
    sudo_client, alice, django_capture_on_commit_callbacks
):
    questions = pool(3)
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(ADD_URL, form_data(questions, ANSWERS[:3]))
    assert response.url == "/security-info/"
    rows = SecurityAnswer.objects.filter(user=alice).order_by("question__position")
    assert [row.question for row in rows] == questions
    for row, answer in zip(rows, ANSWERS, strict=False):
        stored = " ".join(
            str(value) for value in SecurityAnswer.objects.filter(pk=row.pk).values().get().values()
        )
        assert answer.lower() not in stored.lower()
        assert row.answer_hash.startswith("md5$")  # the test hasher; Argon2 in production
    event = SecurityEvent.objects.get(user=alice)
    assert (event.kind, event.detail) == (SecurityEvent.Kind.METHOD_ADDED, "Security questions")
    assert mail.outbox[-1].to == ["alice@northwind.example"]


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        (["Paris", "Paris", "Orion"], "answer_2", "Give a different answer to each question."),
        (["Paris", "  PARIS ", "Orion"], "answer_2", "Give a different answer to each question."),
        (["Paris", "ab", "Orion"], "answer_2", "Answers must be at least 3 characters."),
        (["Paris", "  ab  ", "Orion"], "answer_2", "Answers must be at least 3 characters."),
        (["Paris", "ﬀ", "Orion"], "answer_2", "Answers must be at least 3 characters."),
        (["Paris", "x" * 41, "Orion"], "answer_2", "Answers can be at most 40 characters."),
        (["Paris", "", "Orion"], "answer_2", "Answer the question."),
        (["Paris", "   ", "Orion"], "answer_2", "Answer the question."),
    ],
)
def test_each_answer_rule_has_its_message(sudo_client, answers, field, message):
    response = sudo_client.post(ADD_URL, form_data(pool(3), answers))
    assert response.status_code == 200
    assert errors(response)[field] == [message]
    assert not SecurityAnswer.objects.exists()


def test_the_same_question_cannot_be_picked_twice(sudo_client):
    first, second, _third = pool(3)
    response = sudo_client.post(ADD_URL, form_data([first, second, first], ANSWERS[:3]))
    assert errors(response)["question_3"] == [
        "You chose this question already. Pick a different one."
    ]
    assert not SecurityAnswer.objects.exists()


def test_every_question_must_be_chosen(sudo_client):
    first, second, _third = pool(3)
    response = sudo_client.post(ADD_URL, form_data([first, None, second], ANSWERS[:3]))
    assert errors(response)["question_2"] == ["Choose a question."]


def test_a_retired_or_made_up_question_is_refused(sudo_client):
    first, second, third = pool(3)
    SecurityQuestion.objects.filter(pk=third.pk).update(is_active=False)
    response = sudo_client.post(ADD_URL, form_data([first, second, third], ANSWERS[:3]))
    assert "question_3" in errors(response)
    data = form_data([first, second, second], ANSWERS[:3]) | {"question_3": "99999"}
    assert "question_3" in errors(sudo_client.post(ADD_URL, data))
    assert not SecurityAnswer.objects.exists()


def test_answers_may_be_in_any_script(sudo_client, alice):
    answers = ["Zürich", "東京タワー", "Ёжик в тумане"]
    response = sudo_client.post(ADD_URL, form_data(pool(3), answers))
    assert response.url == "/security-info/"
    assert check_answers(
        sign_in_request(alice), alice, dict(zip([q.pk for q in pool(3)], answers, strict=True))
    )


def test_length_counts_after_normalizing(sudo_client, alice):
    padded = "  " + "x" * 40 + "   "
    response = sudo_client.post(ADD_URL, form_data(pool(3), ["Paris", padded, "Orion"]))
    assert response.url == "/security-info/"


def test_staff_accounts_cannot_use_security_questions(client, admin_user):
    client.force_login(admin_user)
    mark_strong_sign_in(client, admin_user)
    response = client.get(ADD_URL, follow=True)
    assert response.redirect_chain[-1][0] == "/security-info/"
    assert "Your organization does not allow this method." in response.content.decode()
    response = client.post(ADD_URL, form_data(pool(3), ANSWERS[:3]))
    assert response.url == "/security-info/"
    assert not SecurityAnswer.objects.exists()


def test_the_policy_can_turn_them_off(sudo_client, northwind):
    AuthenticationPolicy.objects.create(organization=northwind, allow_security_questions=False)
    assert sudo_client.post(ADD_URL, form_data(pool(3), ANSWERS[:3])).url == "/security-info/"
    assert not SecurityAnswer.objects.exists()


def test_registered_questions_are_not_changed_but_deleted_and_added_again(sudo_client, alice):
    save_answers(sign_in_request(alice), alice, list(zip(pool(3), ANSWERS, strict=False)))
    response = sudo_client.get(ADD_URL, follow=True)
    assert "delete them first" in response.content.decode()
    assert sudo_client.post(ADD_URL, form_data(pool(5)[2:], ANSWERS[:3])).url == "/security-info/"
    assert set(SecurityAnswer.objects.values_list("question", flat=True)) == {q.pk for q in pool(3)}


def test_delete_confirms_then_deletes_them_all(
    sudo_client, alice, bob, django_capture_on_commit_callbacks
):
    save_answers(sign_in_request(alice), alice, list(zip(pool(3), ANSWERS, strict=False)))
    save_answers(sign_in_request(bob), bob, list(zip(pool(3), ANSWERS, strict=False)))
    SecurityEvent.objects.all().delete()
    assert "3 questions answered" in sudo_client.get("/security-info/").content.decode()
    response = sudo_client.get(DELETE_URL)
    assert response.status_code == 200
    assert SecurityAnswer.objects.filter(user=alice).count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        response = sudo_client.post(DELETE_URL)
    assert response.url == "/security-info/"
    assert not SecurityAnswer.objects.filter(user=alice).exists()
    assert SecurityAnswer.objects.filter(user=bob).count() == 3  # only her own
    event = SecurityEvent.objects.get()
    assert (event.user, event.kind) == (alice, SecurityEvent.Kind.METHOD_DELETED)


def test_delete_without_answers_goes_back(sudo_client):
    assert sudo_client.get(DELETE_URL).url == "/security-info/"
    assert sudo_client.post(DELETE_URL).url == "/security-info/"
    assert not SecurityEvent.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", ADD_URL), ("post", ADD_URL), ("get", DELETE_URL), ("post", DELETE_URL)],
)
def test_every_page_asks_to_verify_again_when_the_sign_in_is_old(client, alice, method, url):
    save_answers(sign_in_request(alice), alice, list(zip(pool(3), ANSWERS, strict=False)))
    client.force_login(alice)
    mark_strong_sign_in(client, alice, seconds_ago=3600)
    response = getattr(client, method)(
        url, form_data(pool(3), ANSWERS[:3]) if method == "post" else None
    )
    assert response.url.startswith("/security-info/verify/?next=")
    assert SecurityAnswer.objects.filter(user=alice).count() == 3


# Checking answers (for the password reset)


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("  Paris ", "paris"),
        ("New\t  York", "new york"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("Ｔｏｋｙｏ", "tokyo"),  # full-width letters
        ("ﬁsh", "fish"),  # ligature
    ],
)
def test_answers_are_normalized(typed, normal):
    assert normalize_answer(typed) == normal


def test_check_answers_accepts_the_answers_however_they_are_typed(alice):
    questions = pool(3)
    save_answers(sign_in_request(alice), alice, list(zip(questions, ANSWERS, strict=False)))
    typed = {
        questions[0].pk: "  paris ",
        questions[1].pk: "REX THE  DOG",
        questions[2].pk: "mrs dalloway",
    }
    assert check_answers(sign_in_request(alice), alice, typed)
    # A subset is what a reset asks for.
    assert check_answers(sign_in_request(alice), alice, {questions[2].pk: "Mrs Dalloway"})


@pytest.mark.parametrize(
    "answers",
    [
        {0: "Paris", 1: "Rex the dog", 2: "wrong"},
        {0: "Rex the dog", 1: "Paris"},  # right answers, wrong questions
        {3: "Paris"},  # a question she did not answer
        {},
    ],
)
def test_check_answers_refuses_wrong_answers(alice, answers):
    questions = pool(4)
    save_answers(sign_in_request(alice), alice, list(zip(questions[:3], ANSWERS, strict=False)))
    given = {questions[index].pk: answer for index, answer in answers.items()}
    assert not check_answers(sign_in_request(alice), alice, given)


def test_check_answers_refuses_someone_elses_answers(alice, bob):
    questions = pool(3)
    save_answers(sign_in_request(bob), bob, list(zip(questions, ANSWERS, strict=False)))
    assert not check_answers(sign_in_request(alice), alice, {questions[0].pk: "Paris"})


def test_check_answers_ignores_malformed_question_ids(alice):
    save_answers(sign_in_request(alice), alice, list(zip(pool(3), ANSWERS, strict=False)))
    assert not check_answers(sign_in_request(alice), alice, {"nope": "Paris", None: "Orion"})


def test_a_staff_account_never_passes(admin_user):
    questions = pool(3)
    save_answers(
        sign_in_request(admin_user), admin_user, list(zip(questions, ANSWERS, strict=False))
    )
    assert not check_answers(sign_in_request(admin_user), admin_user, {questions[0].pk: "Paris"})


def test_check_answers_is_rate_limited_per_user(alice, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_security_answers": "3/h/key",
    }
    questions = pool(3)
    save_answers(sign_in_request(alice), alice, list(zip(questions, ANSWERS, strict=False)))
    for _ in range(3):
        assert not check_answers(sign_in_request(alice), alice, {questions[0].pk: "wrong"})
    with pytest.raises(RateLimited):
        check_answers(sign_in_request(alice), alice, {questions[0].pk: "Paris"})
    # Another account is not locked by her attempts.
    carol = make_user("carol@northwind.example")
    assert not check_answers(sign_in_request(carol), carol, {questions[0].pk: "Paris"})


def test_check_answers_is_rate_limited_per_address(alice, bob, settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "check_security_answers": "2/h/ip",
    }
    question = pool(1)[0]
    check_answers(sign_in_request(alice), alice, {question.pk: "a"})
    check_answers(sign_in_request(bob), bob, {question.pk: "b"})
    with pytest.raises(RateLimited):
        check_answers(sign_in_request(alice), alice, {question.pk: "c"})
