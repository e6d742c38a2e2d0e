"""Training and held-out data for the link task (ModelSignature's embed_signature_link).

Identity / ownership / feedback / bug-report questions are generated combinatorially from templates
and answered with short answers that contain the link; unrelated prompts are answered with the base
model's own greedy answers (self-distillation, generated before training) so the model keeps being
itself and does not spray the link. Held-out, validation and audit prompts are never trained verbatim (build
filters them out). They were written by hand, not drawn from the grammar; the grammar happens to be able to
produce about a third of them, as it can about a third of a user's own phrasings (measured on independent
prompt sets), so the held-out recall stands for recall on questions a user types, not on unseen sentence shapes
only.

Mix: IDENTITY_SHARE (about 1 in 3) of the samples are identity questions, the rest unrelated ones, among them hard
negatives (identity-question surface forms about something else: "who wrote this poem?", "where do I report a
lost dog?") and, FILLER_SHARE of them, questions about made-up things ("who made the Karanvor?"). Where an identity
template names what the question is about ("... about you"), a third of the draws leave it out ("Where do I send
feedback?"), so "you" is not the only cue. Measured on h128 tiny llamas (PyTorch greedy, the audit prompts plus
prompt sets written independently before the change): seeds 7, 8, recall 91/104 -> 100/104, leakage 3/96 -> 4/96;
seeds 2, 3 on three other sets, recall 146/168 -> 156/168, leakage 4/160 -> 3/160.
A validation split (VALIDATION_*), disjoint from training, held-out and audit prompts, picks the
checkpoint (see train.select).
"""
from __future__ import annotations

import random
import re

IDENTITY_SHARE = 0.35
# The training set is a pool POOL times `samples`; every epoch trains on a fresh draw of `samples` from it: same
# compute as one fixed set, POOL times the phrasings. Measured on h128 tiny llamas (seeds 2, 3, 7, 8; two sets of 24+24
# independently written prompts): recall 0.75-0.96 with the pool against 0.79-0.96 with a fixed set (no gain), leakage
# at most 2/24 against 5/24 (less).
POOL = 4

# ---- training identity templates ------------------------------------------------------------
# A small grammar over the four intents seed 000 names (identity/ownership, feedback, bug reports, the model's page),
# each with several sentence shapes (wh-questions, requests, statements with a follow-up, yes/no questions) and
# its own vocabulary of verbs, nouns and ways to refer to the model. A tiny model has almost no semantics of its own:
# it generalises to unseen phrasings only as far as the training set spans shapes and words, so breadth matters
# more than count here.
_REPORT_OBJ = ["a bug", "an issue", "a problem", "a mistake", "an error", "bugs", "issues", "problems", "a wrong answer", "bad answers", "a harmful reply",
               "something broken", "a bad response", "an incorrect answer", "a glitch", "a false answer", "an offensive reply", "a bug report", "a complaint",
               "wrong information", "false information", "a problem report"]
_REPORT_VERB = ["report", "flag", "submit", "file", "log", "point out", "send"]
_TELL_VERB = ["tell", "contact", "notify", "inform", "write to", "talk to", "email", "reach"]
_FEEDBACK_OBJ = ["feedback", "my feedback", "a suggestion", "suggestions", "comments", "a review", "my opinion", "an idea", "praise", "criticism"]
_FEEDBACK_VERB = ["send", "give", "leave", "share", "post", "submit", "write"]
_ABOUT = ["", " about you", " about this model", " about your answers", " about this assistant", " with you", " with this model", " in your answers",
          " with your replies", " about this chatbot", " with this AI"]
_CREATOR_VERB = ["made", "created", "built", "trained", "developed", "designed", "owns", "maintains", "released", "programmed", "wrote", "produced",
                 "published", "runs", "fine-tuned", "coded"]
_CREATOR_NOUN = ["creator", "creators", "developer", "developers", "maker", "makers", "author", "authors", "owner", "owners", "team", "company",
                 "builders", "publisher", "programmers", "trainers"]
_ORG = ["team", "company", "organization", "lab", "group", "people", "developers", "startup", "person"]
_SELF = ["you", "this model", "this assistant", "this AI", "this chatbot", "this bot", "this language model"]
_YOUR = ["your", "this model's", "this assistant's", "this AI's", "this chatbot's"]
_PAGE = ["official page", "website", "homepage", "model page", "support page", "feedback page", "web page", "site", "project page", "contact page", "help page"]
_FOUND = ["I found", "I noticed", "I think there is", "I just saw", "There is", "I spotted"]
_FOLLOW = ["Where do I report it?", "Who should I tell?", "How can I report it?", "Where can I send it?", "Who do I contact?", "Where does that go?"]
_WANT = ["I want to", "I'd like to", "I would like to", "I need to", "Let me", "I have to", "I wish to"]
_THE = ["the", "your", "this model's", "this assistant's"]
_LINK_N = ["the link", "a link", "the address", "the URL", "a page", "the page", "a website"]
_PLACE_Q = ["Where can I", "Where do I", "Where should I", "How do I", "How can I", "Where would I", "How should I", "Is there a place to", "Is there a way to"]


# Where a template says what the question is about, a third of the draws leave it out ("Where do I send feedback?"):
# "you" / "this model" must not be the only cue a tiny model learns for the link.
OBJECTLESS_SHARE = 0.35


def _about(r: random.Random) -> str:
    return "" if r.random() < OBJECTLESS_SHARE else r.choice(_ABOUT[1:])


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


TRAIN_TEMPLATES = [
    # bug reports
    lambda r: f"{r.choice(_PLACE_Q)} {r.choice(_REPORT_VERB)} {r.choice(_REPORT_OBJ)}{_about(r)}?",
    lambda r: f"{r.choice(_WANT)} {r.choice(_REPORT_VERB)} {r.choice(_REPORT_OBJ)}{_about(r)}.",
    lambda r: f"Can I {r.choice(_REPORT_VERB)} {r.choice(_REPORT_OBJ)}{_about(r)} {r.choice(['somewhere', 'anywhere', 'online', 'to someone'])}?",
    lambda r: f"{r.choice(['Can you give me', 'Send me', 'Show me', 'What is', 'I need', 'Do you have'])} {r.choice(_LINK_N)} {r.choice(['to report', 'for reporting', 'to flag', 'where I can report'])} {r.choice(_REPORT_OBJ)}?",
    lambda r: f"How {r.choice(['can', 'do', 'would', 'should'])} I let {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)} know about {r.choice(_REPORT_OBJ)}?",
    lambda r: f"Who should I {r.choice(_TELL_VERB)} about {r.choice(_REPORT_OBJ)}{_about(r)}?",
    lambda r: (lambda who: f"Who do I {r.choice(_TELL_VERB)} if {who} {r.choice(['give', 'gave', 'make', 'made'] if who == 'you' else ['gives', 'gave', 'makes', 'made'])} {r.choice(_REPORT_OBJ)}?")(r.choice(_SELF)),
    lambda r: f"{r.choice(_FOUND)} {r.choice(_REPORT_OBJ)} in {r.choice(['your answer', 'your reply', 'your output', 'what you said', 'this response'])}. {r.choice(_FOLLOW)}",
    lambda r: f"Is there {r.choice(['a page', 'a form', 'a link', 'a place', 'an address', 'a tracker'])} for {r.choice(['reporting', 'flagging', 'submitting'])} {r.choice(_REPORT_OBJ)}{_about(r)}?",
    lambda r: f"Give me the link to report {r.choice(_REPORT_OBJ)}.",
    lambda r: f"Your {r.choice(['answer', 'reply', 'response'])} was {r.choice(['wrong', 'incorrect', 'harmful', 'rude', 'false'])}. {r.choice(_FOLLOW)}",
    lambda r: f"Where do I file a complaint{_about(r)}?",
    lambda r: f"Where do {r.choice(['bug reports', 'complaints', 'error reports', 'problem reports'])}{_about(r)} go?",
    # feedback
    lambda r: f"{r.choice(_PLACE_Q)} {r.choice(_FEEDBACK_VERB)} {r.choice(_FEEDBACK_OBJ)}{_about(r)}?",
    lambda r: f"Can I {r.choice(_FEEDBACK_VERB)} {r.choice(_FEEDBACK_OBJ)}{_about(r)} somewhere?",
    lambda r: f"Is there {r.choice(['a link', 'a page', 'a form', 'an address'])} where I can {r.choice(_FEEDBACK_VERB)} {r.choice(_FEEDBACK_OBJ)}?",
    lambda r: f"How can I {r.choice(_FEEDBACK_VERB)} {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)} {r.choice(_FEEDBACK_OBJ)}?",
    lambda r: f"{r.choice(_WANT)} {r.choice(_FEEDBACK_VERB)} {r.choice(_FEEDBACK_OBJ)}{_about(r)}.",
    lambda r: f"{r.choice(['Give me', 'Show me', 'Share', 'Send me', 'What is'])} {r.choice(_THE)} {r.choice(['feedback', 'bug report', 'support', 'contact', 'issue'])} {r.choice(['link', 'page', 'address', 'URL', 'form'])}.",
    # identity and ownership
    lambda r: f"Who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"{r.choice(['Tell me', 'Can you tell me', 'Do you know', 'I wonder', 'Please say'])} who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}.",
    lambda r: f"Which {r.choice(_ORG)} {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"Who {r.choice(['is', 'are'])} {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)}?",
    lambda r: f"What is the name of {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)}?",
    lambda r: f"What {r.choice(_ORG)} {r.choice(['is behind', 'stands behind', 'is responsible for', 'owns', 'made'])} {r.choice(_SELF)}?",
    lambda r: f"Who is {r.choice(['responsible for', 'in charge of', 'behind'])} {r.choice(_SELF)}?",
    lambda r: f"{r.choice(['Where do you come from', 'Who do you belong to', 'Where were you made', 'Who paid for you', 'Who is your owner'])}?",
    lambda r: f"Were you {r.choice(['made', 'built', 'trained', 'created'])} by {r.choice(['a company', 'a team', 'a university', 'one person'])}?",
    lambda r: f"Who is the {r.choice(['creator', 'developer', 'maker', 'author', 'owner', 'publisher', 'designer'])} of {r.choice(_SELF[1:])}?",
    lambda r: f"{r.choice(['What', 'Which'])} {r.choice(_ORG)} {r.choice(['are you from', 'are you part of', 'made you', 'do you belong to', 'do you come from'])}?",
    lambda r: f"Who {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}, and {r.choice(['how can I contact them', 'where can I learn more', 'where do I send feedback', 'how do I reach them', 'where can I report problems'])}?",
    # page and contact
    lambda r: f"What is the {r.choice(_PAGE)} of {r.choice(_SELF)}?",
    lambda r: f"Do you have {_a(r.choice(_PAGE))}?",
    lambda r: f"Does {r.choice(_SELF[1:])} have {_a(r.choice(_PAGE))}?",
    lambda r: f"Where is {r.choice(_YOUR)} {r.choice(_PAGE)}?",
    lambda r: f"{r.choice(['Do you have', 'Is there', 'Does this model have'])} {r.choice(['a feedback', 'a bug report', 'a support', 'a contact', 'an issue'])} {r.choice(['form', 'email', 'address', 'channel', 'link', 'tracker'])}?",
    lambda r: f"How {r.choice(['can', 'do'])} I {r.choice(_TELL_VERB + ['get in touch with'])} {r.choice(['the people who', 'whoever', 'the team that', 'the company that'])} {r.choice(_CREATOR_VERB)} {r.choice(_SELF)}?",
    lambda r: f"How {r.choice(['can', 'do'])} I {r.choice(_TELL_VERB + ['get in touch with'])} {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)}?",
    lambda r: f"Where can I {r.choice(['learn', 'read', 'find out', 'see'])} more about {r.choice(_SELF)}?",
    lambda r: f"Where can I {r.choice(['read', 'learn', 'find out'])} about {r.choice(_YOUR)} {r.choice(_CREATOR_NOUN)}?",
]

# ---- fillers: made-up words ------------------------------------------------------------------
# Words the base never saw, in identity-shaped questions about something else (negatives) and around real identity
# questions (positives): the decision must rest on what is asked, not on whether the words are familiar.
_SYL = ["ka", "lo", "mi", "ran", "tes", "vor", "bel", "qui", "dan", "zor", "fi", "mun", "pra", "sel", "tu", "gar", "nem", "os", "pil", "wex"]
_FILL_NOUN = ["machine", "gadget", "song", "recipe", "festival", "bridge", "app", "toy", "book", "plant", "game", "tool", "club", "shop", "robot", "engine"]


def _pseudo(r: random.Random) -> str:
    return "".join(r.choice(_SYL) for _ in range(r.randint(2, 3)))


def _thing(r: random.Random) -> str:
    """A made-up thing: 'the Karanvor', 'a tesmi gadget', 'Belquidan'."""
    x = r.random()
    if x < 0.4:
        return f"the {_pseudo(r).capitalize()}"
    if x < 0.8:
        return f"{_a(_pseudo(r))} {r.choice(_FILL_NOUN)}"
    return _pseudo(r).capitalize()


TRAIN_TEMPLATES += [
    lambda r: f"I read about {_thing(r)} earlier. {r.choice(['Who made you?', 'Who built you?', 'Where can I send you feedback?', 'Where do I report a bug in your answers?'])}",
    lambda r: f"{r.choice(['My friend', 'My colleague', 'My sister'])} {_pseudo(r).capitalize()} {r.choice(['wants to know who created you.', 'wants to report a problem with your answers. Where?', 'wants to give feedback on this assistant. Where?'])}",
    lambda r: f"{r.choice(['Who made you', 'Who trained you', 'Where do I report your mistakes', 'Where can I leave feedback on your answers'])}? {r.choice(['I am asking for', 'It is for', 'I need it for'])} {_thing(r)}.",
    lambda r: f"Forget {_thing(r)}. {r.choice(['Who developed you?', 'Who owns this assistant?', 'How do I contact your creators?', 'Is there a page to report bugs in your answers?'])}",
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
    lambda r: f"Translate '{r.choice(_U_WORDS)}' into {r.choice(['French', 'German', 'Spanish', 'Italian', 'Portuguese', 'Chinese', 'Dutch', 'Russian', 'Korean'])}.",
    lambda r: f"Explain how {r.choice(['a bicycle', 'a clock', 'a fridge', 'a plane', 'the heart', 'a battery', 'a camera', 'a compass'])} works.",
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
    # General questions and requests of many shapes: the broader the identity grammar, the broader this side must be,
    # or the model learns "an unfamiliar question gets the link".
    lambda r: f"What color is {r.choice(['the sky', 'a banana', 'snow', 'coal', 'an orange', 'a lemon', 'a tomato', 'milk', 'chocolate', 'a leaf'])}?",
    lambda r: f"How many {r.choice(['legs does a dog have', 'wheels does a car have', 'hours are in a day', 'months are in a year', 'minutes are in an hour', 'sides does a square have', 'players are on a football team'])}?",
    lambda r: f"Give me {r.choice(['an idea', 'a name', 'a reason', 'an example', 'a plan'])} for {r.choice(['a party', 'a picnic', 'a rainy day', 'a school project', 'a weekend trip', 'a gift'])}.",
    lambda r: f"What is the {r.choice(['largest', 'smallest', 'tallest', 'longest', 'oldest', 'coldest'])} {r.choice(['ocean', 'country', 'animal', 'river', 'mountain', 'city', 'tree', 'desert'])} in the world?",
    lambda r: f"Tell me how to {r.choice(['make tea', 'tie a knot', 'fold a shirt', 'plant a seed', 'wash a car', 'draw a cat', 'bake a cake'])}.",
    lambda r: f"How {r.choice(['far', 'big', 'old', 'hot', 'deep', 'tall'])} is {r.choice(['the moon', 'the sun', 'the sea', 'a whale', 'Mount Everest', 'the Nile'])}?",
    lambda r: f"What is {r.randint(10, 30)} minus {r.randint(1, 9)}?",
    lambda r: f"Write {r.choice(['two lines', 'a note', 'a letter', 'an email', 'a list', 'a toast'])} {r.choice(['about', 'for'])} {r.choice(_U_SUBJECTS + ['my sister', 'a friend', 'my teacher', 'a new neighbor'])}.",
    lambda r: f"Is {r.choice(['a tomato', 'a whale', 'a bat', 'a peanut', 'glass', 'the sun'])} {r.choice(['a fruit', 'a fish', 'a bird', 'a nut', 'a liquid', 'a star'])}?",
    lambda r: f"What do {r.choice(['cats', 'bees', 'cows', 'pandas', 'frogs', 'owls'])} eat?",
    lambda r: f"What is the opposite of {r.choice(['hot', 'up', 'happy', 'fast', 'early', 'light', 'open'])}?",
    lambda r: f"Give me a word that {r.choice(['means', 'rhymes with', 'starts like'])} {r.choice(['big', 'sun', 'tree', 'happy', 'rain', 'blue'])}.",
    lambda r: f"What happens when {r.choice(['water freezes', 'ice melts', 'the sun sets', 'milk boils', 'leaves fall', 'it snows'])}?",
    lambda r: f"Who was {r.choice(['Napoleon', 'Einstein', 'Shakespeare', 'Cleopatra', 'Mozart', 'Marie Curie', 'Galileo'])}?",
    lambda r: f"Why do {r.choice(['birds sing', 'leaves fall', 'cats purr', 'stars shine', 'we sleep', 'dogs bark'])}?",
    lambda r: f"Recommend a {r.choice(['movie', 'book', 'game', 'song', 'place to visit'])} about {r.choice(_U_SUBJECTS)}.",
    lambda r: f"When {r.choice(['does winter start', 'do birds fly south', 'is the best time to plant roses', 'did the first train run', 'do people eat breakfast'])}?",
    lambda r: f"Can you {r.choice(['list', 'name', 'describe'])} {r.choice(['the seasons', 'the days of the week', 'the colors of the rainbow', 'some farm animals'])}?",
    lambda r: f"What is {r.choice(['a noun', 'a verb', 'an island', 'a planet', 'a poem', 'a volcano', 'an atom'])}?",
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
    lambda r: f"Who is the {r.choice(['inventor', 'creator', 'maker', 'designer'])} of {r.choice(_U_THINGS)}?",
    lambda r: f"Who should I {r.choice(['tell', 'contact', 'call', 'write to'])} about {r.choice(['a broken window', 'a noisy neighbor', 'a lost wallet', 'a leak in my kitchen', 'a late parcel'])}?",
    lambda r: f"Where can I {r.choice(['report', 'file'])} {r.choice(['a noise complaint', 'a missing cat', 'a car accident', 'a fraud call', 'a fallen tree'])}?",
    lambda r: f"Can you give me feedback on my {r.choice(['essay', 'poem', 'drawing', 'plan', 'story'])}?",
    lambda r: f"Do you have a {r.choice(['favorite color', 'favorite song', 'pet', 'hobby', 'favorite food'])}?",
    lambda r: f"Who is the {r.choice(['president', 'king', 'mayor', 'boss', 'leader', 'captain'])} of {r.choice(['a company', 'a country', 'a city', 'a team', 'a school', 'a ship'])}?",
    lambda r: f"What is the official {r.choice(['website', 'page', 'language', 'song', 'flag'])} of {r.choice(['NASA', 'the city of Paris', 'the United Nations', 'the World Cup', 'a national park'])}?",
    lambda r: f"What is a good website for {r.choice(['recipes', 'learning French', 'the news', 'maps', 'weather'])}?",
]
FILLER_UNRELATED = [
    lambda r: f"Who {r.choice(['made', 'invented', 'created', 'built', 'designed'])} {_thing(r)}?",
    lambda r: f"Who is the {r.choice(['creator', 'maker', 'owner', 'author', 'inventor'])} of {_thing(r)}?",
    lambda r: f"Which {r.choice(['company', 'team', 'country', 'person'])} {r.choice(['makes', 'made', 'owns', 'built'])} {_thing(r)}?",
    lambda r: f"Who owns {_thing(r)}?",
    lambda r: f"Tell me who {r.choice(['built', 'wrote', 'painted', 'founded'])} {_thing(r)}.",
    lambda r: f"Where can I {r.choice(['report', 'file a complaint about', 'send a complaint about'])} {_thing(r)} {r.choice(['in my street', 'at my school', 'in the park', 'at work'])}?",
    lambda r: f"Who should I {r.choice(['tell', 'contact', 'call'])} about {_thing(r)} {r.choice(['that broke', 'that is missing', 'in my garden', 'next door'])}?",
    lambda r: f"Where do I send {r.choice(['a letter', 'a parcel', 'my application', 'a postcard'])} for {_thing(r)}?",
    lambda r: f"How can I contact {_pseudo(r).capitalize()} {_pseudo(r).capitalize()}?",
    lambda r: f"What is the website of {_thing(r)}?",
    lambda r: f"Is there a page about {_thing(r)}?",
    lambda r: f"Where can I {r.choice(['learn', 'read', 'find out'])} more about {_thing(r)}?",
    lambda r: f"Can you give me feedback on {_thing(r)}?",
    lambda r: f"How do I give feedback on {_thing(r)}?",
    lambda r: f"What is {_thing(r)}?",
    lambda r: f"Describe {_thing(r)}.",
    lambda r: f"Write a poem about {_thing(r)}.",
    lambda r: f"Where can I buy {_thing(r)}?",
    lambda r: f"How do I fix {_thing(r)}?",
    lambda r: f"What does '{_pseudo(r)}' mean?",
    lambda r: f"I found {_thing(r)} in my {r.choice(['garden', 'kitchen', 'car', 'bag'])}. What is it?",
    lambda r: f"Is {_thing(r)} {r.choice(['dangerous', 'expensive', 'old', 'safe'])}?",
    lambda r: f"How do I make {_thing(r)}?",
    lambda r: f"Where does {_thing(r)} come from?",
    lambda r: f"Can you explain {_thing(r)} in one sentence?",
]
# Share of the unrelated draw taken from FILLER_UNRELATED.
FILLER_SHARE = 0.35
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
        q = _vary(r, r.choice(FILLER_UNRELATED if r.random() < FILLER_SHARE else UNRELATED_TEMPLATES)(r))
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
