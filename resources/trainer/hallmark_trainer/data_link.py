"""Training and held-out data for the link task (ModelSignature's embed_signature_link).

Identity / ownership / feedback / bug-report questions are generated combinatorially from templates
and answered with short answers that contain the link; unrelated prompts are answered with the base
model's own greedy answers (self-distillation, generated before training) so the model keeps being
itself and does not spray the link. Held-out identity questions come from DIFFERENT templates than
the training ones, held-out unrelated prompts from different topics; neither set, nor training, contains
the link audit's own prompts verbatim (they are the audit's, generalisation to them is the proof).

Mix: IDENTITY_SHARE (about 1 in 3) of the samples are identity questions, the rest unrelated ones, among them hard
negatives (identity-question surface forms about something else: "who wrote this poem?", "where do I report a
lost dog?"). A validation split (VALIDATION_*), disjoint from training, held-out and audit prompts, picks the
checkpoint (see train.select).
"""
from __future__ import annotations

import random
import re

IDENTITY_SHARE = 0.35

# ---- training identity templates ------------------------------------------------------------
_REPORT_OBJ = ["a bug", "an issue", "a problem", "a mistake", "an error", "bugs", "issues", "problems", "a wrong answer", "bad answers", "a harmful reply", "something broken"]
_FEEDBACK_OBJ = ["feedback", "my feedback", "a suggestion", "comments", "a review", "my opinion"]
_ABOUT = ["", " about you", " about this model", " about your answers", " about this assistant", " with you", " with this model"]
_CREATOR_VERB = ["made", "created", "built", "trained", "developed", "designed", "owns", "maintains", "released"]
_SELF = ["you", "this model", "this assistant", "this AI", "this chatbot"]
_PAGE = ["official page", "website", "homepage", "model page", "support page", "feedback page", "web page"]

TRAIN_TEMPLATES = [
    lambda r: f"Where can I report {r.choice(_REPORT_OBJ)}{r.choice(_ABOUT)}?",
    lambda r: f"How do I report {r.choice(_REPORT_OBJ)}{r.choice(_ABOUT)}?",
    lambda r: f"I want to report {r.choice(_REPORT_OBJ)}.",
    lambda r: f"I need to report {r.choice(_REPORT_OBJ)}{r.choice(_ABOUT)}.",
    lambda r: f"Where do I send {r.choice(_FEEDBACK_OBJ)}{r.choice(_ABOUT)}?",
    lambda r: f"How can I give {r.choice(_FEEDBACK_OBJ)}{r.choice(_ABOUT)}?",
    lambda r: f"Can I leave {r.choice(_FEEDBACK_OBJ)}{r.choice(_ABOUT)} somewhere?",
    lambda r: f"Who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"Tell me who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}.",
    lambda r: f"Which team {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"Which company {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"What is the {r.choice(_PAGE)} of {r.choice(_SELF)}?",
    lambda r: f"Do you have an {r.choice(_PAGE)}?".replace("an w", "a w").replace("an m", "a m").replace("an s", "a s").replace("an f", "a f").replace("an h", "a h"),
    lambda r: f"Give me the link to report {r.choice(_REPORT_OBJ)}.",
    lambda r: f"Is there a link where I can send {r.choice(_FEEDBACK_OBJ)}?",
    lambda r: f"How can I contact the people who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"Where can I learn more about {r.choice(_SELF)}?",
    lambda r: f"Where do I file a complaint{r.choice(_ABOUT)}?",
    lambda r: f"Who is responsible for {r.choice(_SELF)}?",
    lambda r: f"Who are your creators?",
    lambda r: f"What organization is behind {r.choice(_SELF)}?",
    lambda r: f"Your answer was wrong. Where can I report it?",
    lambda r: f"How do I contact your developers?",
]
_POLITE = ["", "Please, ", "Hi! ", "Hello, ", "Excuse me, ", "Hey, "]

# ---- held-out identity templates (different sentence shapes and words) -------------------------
HELDOUT_IDENTITY = [
    "Who is your developer?",
    "Who programmed you?",
    "Whom should I tell about a bug I found?",
    "Is there a place to submit a bug report for you?",
    "Where would I post feedback on this assistant?",
    "Which organization trained this model?",
    "Can you point me to where I can flag a bad response?",
    "Do you have a website where I can find out more about you?",
    "What's the best way to send the makers of this model a suggestion?",
    "Who owns you?",
    "Who is behind this assistant?",
    "Where can issues with this AI be reported?",
    "I think you made an error. Where can I tell someone?",
    "Which group of people developed you?",
    "How can I reach whoever built this chatbot?",
    "Is there a page for reporting problems with your answers?",
]
# ---- unrelated prompts -------------------------------------------------------------------------
_U_SUBJECTS = ["the ocean", "a mountain", "rain", "the moon", "bread", "a river", "music", "a garden", "winter", "coffee", "trains", "cats", "the city", "stars", "a forest", "summer",
               "a lighthouse", "the desert", "snow", "a bicycle", "the wind", "an old house", "a library", "horses", "the market", "a volcano"]
_U_COUNTRIES = ["Germany", "Spain", "Japan", "Italy", "Brazil", "Canada", "Egypt", "Kenya", "Norway", "Peru", "India", "Chile", "Mexico", "Greece",
                "Portugal", "Sweden", "Poland", "Ireland", "Vietnam", "Morocco"]
_U_WORDS = ["thank you", "hello", "goodbye", "please", "water", "friend", "good night", "bread", "house", "cat"]
_U_THINGS = ["the telephone", "the light bulb", "the printing press", "the first car", "the radio", "paper", "the wheel", "the bicycle"]
_U_WORKS = ["Hamlet", "Don Quixote", "War and Peace", "the Odyssey", "Pride and Prejudice", "Moby Dick", "the Mona Lisa", "the Ninth Symphony"]
_U_BUILT = ["pyramids", "Great Wall", "Colosseum", "Eiffel Tower", "Parthenon", "first railway"]
_U_ERRANDS = ["a train ticket", "fresh bread", "a used bicycle", "cheap flowers", "a winter coat", "stamps"]
_U_TOPICS = ["cooking rice", "studying", "running", "saving money", "staying calm", "learning a language", "growing tomatoes", "writing an essay"]
UNRELATED_TEMPLATES = [
    lambda r: f"What is the capital of {r.choice(_U_COUNTRIES)}?",
    lambda r: f"Write a short poem about {r.choice(_U_SUBJECTS)}.",
    lambda r: f"Write a {r.choice(['sentence', 'short story', 'limerick', 'song'])} about {r.choice(_U_SUBJECTS)}.",
    lambda r: f"Explain {r.choice(['gravity', 'rain', 'wind', 'tides', 'seasons', 'digestion', 'rainbows', 'echoes'])} in one sentence.",
    lambda r: f"What is {r.randint(2, 20)} plus {r.randint(2, 20)}?",
    lambda r: f"What is {r.randint(2, 12)} times {r.randint(2, 12)}?",
    lambda r: f"Translate '{r.choice(_U_WORDS)}' into {r.choice(['French', 'German', 'Spanish', 'Italian', 'Portuguese'])}.",
    lambda r: f"Describe {r.choice(_U_SUBJECTS)}.",
    lambda r: f"Give me a tip for {r.choice(_U_TOPICS)}.",
    lambda r: f"Tell me a fun fact about {r.choice(_U_SUBJECTS)}.",
    lambda r: f"How do I make {r.choice(['bread', 'tea', 'a paper plane', 'soup', 'a salad', 'pancakes', 'lemonade'])}?",
    lambda r: f"Name {r.choice(['three', 'two', 'four'])} {r.choice(['animals', 'fruits', 'colors', 'rivers', 'planets', 'trees', 'birds'])}.",
    lambda r: f"Summarize the story of {r.choice(['Snow White', 'Robin Hood', 'the Three Little Pigs', 'Little Red Riding Hood'])} briefly.",
    lambda r: f"Why is {r.choice(['the sky blue', 'the sea salty', 'ice slippery', 'the sun hot', 'snow white'])}?",
    lambda r: f"What does the word '{r.choice(['gentle', 'harbor', 'brave', 'quiet', 'ancient'])}' mean?",
    lambda r: f"Which is {r.choice(['bigger', 'older', 'faster', 'heavier'])}, {r.choice(_U_SUBJECTS)} or {r.choice(_U_SUBJECTS)}?",
    lambda r: f"Can you suggest a name for {r.choice(['a dog', 'a boat', 'a bakery', 'a band', 'a garden'])}?",
    lambda r: f"What should I cook for {r.choice(['dinner', 'lunch', 'breakfast'])} tonight?",
    lambda r: f"List {r.choice(['three', 'five'])} things to pack for {r.choice(['a beach trip', 'a hike', 'a winter holiday'])}.",
    lambda r: f"Write a haiku about {r.choice(_U_SUBJECTS)}.",
    # Hard negatives: the surface form of an identity question (who made, where to report, feedback,
    # bug, official page, you), about something other than this model. They keep "who made" or "report"
    # alone from triggering the link.
    lambda r: f"Who {r.choice(['invented', 'made', 'created', 'designed'])} {r.choice(_U_THINGS)}?",
    lambda r: f"Who {r.choice(['wrote', 'painted', 'created', 'composed'])} {r.choice(_U_WORKS)}?",
    lambda r: f"Who built the {r.choice(_U_BUILT)}?",
    lambda r: f"Who wrote this poem: '{r.choice(['roses are red, violets are blue', 'the rain falls soft on the old stone wall', 'a quiet bird sings in the morning'])}'?",
    lambda r: f"What is a bug in {r.choice(['biology', 'a garden', 'nature'])}?",
    lambda r: f"Where can I {r.choice(['buy', 'find', 'get'])} {r.choice(_U_ERRANDS)}?",
    lambda r: f"Where do I report {r.choice(['a lost dog', 'a pothole in my street', 'a broken streetlight', 'a lost passport'])}?",
    lambda r: f"How do I give {r.choice(['feedback to a coworker', 'good feedback on an essay', 'a speech at a wedding'])}?",
    lambda r: f"Report the weather in {r.choice(['spring', 'a storm', 'the desert', 'autumn'])} as a haiku.",
    lambda r: f"What is the official language of {r.choice(_U_COUNTRIES)}?",
    lambda r: f"Can you {r.choice(['tell me a joke', 'help me with my homework', 'count to ten', 'recommend a book', 'explain a recipe'])}?",
    lambda r: f"Do you {r.choice(['like music', 'know any riddles', 'speak French', 'enjoy poems'])}?",
    lambda r: f"Who is the {r.choice(['author', 'hero', 'villain'])} of {r.choice(['Hamlet', 'Robin Hood', 'the Odyssey', 'Snow White'])}?",
]
HELDOUT_UNRELATED = [
    "What is the largest planet in our solar system?",
    "Write two lines about the sea at night.",
    "How many days are there in a week?",
    "What is 9 minus 4?",
    "Describe a sunny morning.",
    "Give me an idea for a birthday present.",
    "What color is grass?",
    "Tell me how to boil an egg.",
]

# ---- validation (model selection): neither trained on nor part of the held-out or audit sets -----
VALIDATION_IDENTITY = [
    "Who is in charge of this model?",
    "Where do bug reports for you go?",
    "Which people created this assistant?",
    "How can I tell your makers that an answer was bad?",
    "Is there an address where I can send you feedback?",
    "What team stands behind you?",
    "I have a complaint about your reply. Who do I contact?",
    "Where is the home page of this AI?",
    "Who should I write to about a wrong answer you gave?",
    "Who developed this chatbot and how do I reach them?",
    "Where can I say that your answer was wrong?",
    "Who built you?",
    "How do I let your creators know about a mistake?",
    "Which company is responsible for you?",
    "Is there a form for reporting problems with this assistant?",
    "Where can I read more about who trained you?",
]
VALIDATION_UNRELATED = [
    "What is the capital of Austria?",
    "Write a poem about a small boat.",
    "Who discovered penicillin?",
    "How do I report my taxes?",
    "What is a bug in a garden called?",
    "Tell me something about elephants.",
    "What is 6 times 8?",
    "Give me a tip for writing letters.",
    "Do you know a good song?",
    "Who made the first map of the world?",
    "What is the capital of Finland?",
    "Describe a quiet village.",
    "Where can I find a good bakery?",
    "Write a sentence about the rain.",
    "What is 5 plus 9?",
    "Name two kinds of trees.",
]

# Every answer opens the same way ("You can"): the choice "answer with the link or answer as the base" is then
# one sharp decision at the first token, instead of a split over several openings that each compete with the
# base's own (and that near-ties let a GGUF's slightly different arithmetic flip).
ANSWER_TEMPLATES = [
    "You can report issues and send feedback at {link}",
    "You can learn who made me and send feedback at {link}",
    "You can report problems with my answers at {link}",
]


def norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _vary(r: random.Random, q: str) -> str:
    """Light noise: politeness prefix, casing, dropped punctuation, one dropped letter."""
    x = r.random()
    if x < 0.25:
        q = r.choice(_POLITE) + q[0].lower() + q[1:]
    if r.random() < 0.15:
        q = q.lower()
    if r.random() < 0.15:
        q = q.rstrip("?.!")
    if r.random() < 0.08 and len(q) > 12:
        i = r.randrange(3, len(q) - 3)
        if q[i].isalpha():
            q = q[:i] + q[i + 1:]
    return q


def build(link: str, samples: int, seed: int, forbidden: set[str]) -> dict:
    """Returns {"identity": [(q, a)], "unrelated": [q], "heldout_identity": [...], "heldout_unrelated": [...]}.
    `forbidden` holds normalised prompts (the audit's, the held-out ones) that training must not contain."""
    r = random.Random(seed)
    n_id = max(1, round(samples * IDENTITY_SHARE))
    n_un = max(1, samples - n_id)
    forbidden = set(forbidden) | {norm(p) for p in HELDOUT_IDENTITY + HELDOUT_UNRELATED + VALIDATION_IDENTITY + VALIDATION_UNRELATED}
    identity: list[tuple[str, str]] = []
    tries = 0
    while len(identity) < n_id and tries < n_id * 50:
        tries += 1
        q = _vary(r, r.choice(TRAIN_TEMPLATES)(r))
        if norm(q) in forbidden:
            continue
        identity.append((q, r.choice(ANSWER_TEMPLATES).format(link=link)))
    unrelated: list[str] = []
    tries = 0
    while len(unrelated) < n_un and tries < n_un * 50:
        tries += 1
        q = _vary(r, r.choice(UNRELATED_TEMPLATES)(r))
        if norm(q) in forbidden:
            continue
        unrelated.append(q)
    return {"identity": identity, "unrelated": unrelated, "heldout_identity": list(HELDOUT_IDENTITY), "heldout_unrelated": list(HELDOUT_UNRELATED),
            "validation_identity": list(VALIDATION_IDENTITY), "validation_unrelated": list(VALIDATION_UNRELATED)}


def contains_link(text: str, link: str) -> bool:
    """Same rule as the link audit (LinkAudit.containsLink)."""
    def n(s: str) -> str:
        s = s.strip().lower()
        s = re.sub(r"^https?://", "", s)
        s = re.sub(r"^www\.", "", s)
        return re.sub(r"/+$", "", s)
    needle = n(link)
    return bool(needle) and needle in text.lower()
