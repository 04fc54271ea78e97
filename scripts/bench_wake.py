#!/usr/bin/env python3
"""Hands-free wake phrase: false wakes per hour on long TV-like speech, and misses on spoken requests, for a range
of spotter thresholds; the figures the thresholds in voice_assistant/asr/wake_model.py (THRESHOLD, the wake-word
model the loop uses) and asr/wake.py (THRESHOLDS, pocketsphinx's keyphrase search, `--spotter keyphrase`) are
chosen from.

    python scripts/bench_wake.py [--minutes 10] [--requests 40] [--rates 115,135,160] [--spotter model|keyphrase]
                                 [--thresholds 0.9,...]
                                 [--max-loss 0,2,4] [--programmes seen|unseen|all|fresh|fourth]
                                 [--phrasings seen|unseen|all|fresh|fourth]
                                 [--room] [--list] [--dump FILE] [--json]

Held-out material: `--programmes unseen` plays television the rules and constants of asr/wake.py were NOT chosen
on (written after them; never tune on it, or it stops being held out): sports commentary full of numbers and
names, a soap opera whose people give each other orders ("remind me", "call me at six", "tell me"), an advert
block, a weather forecast, a health documentary on diabetes (sugar, insulin, blood tests), a radio phone-in where
callers talk to the host, and a gardening slot, with near-misses inside and at the start of sentences ("the
assistant manager", "his assistant said", "assistance", "assist", "a system", "this is tense", "insist"); read
by voices not in VOICES (eSpeak NG's Scottish, New York, Caribbean, RP and British accents with other variants,
and Piper's joe at 0.85 times the rate asked, another length scale) at 140-195 words per minute.
`--programmes fresh` is a third held-out set, written before anything was measured on it (for the phonetic
confirmation in `WakeRule.corroborated`): a quiz with contestants, a radio church service, a cookery phone-in, a
crime drama and a shopping channel, with near-misses at the start of sentences ("a sister", "assistance",
"insistent", "consistent", "this is tent", "assist us", "as is tradition", "that's instant yeast", "assessed in
the round", "at least") and one sentence that really opens with the word ("Assistant Commissioner Hale ...":
television does say it); seven voices in neither set (Lancashire and West Midlands accents, eSpeak's grandpa and
grandma, joe faster than asked) at 150-205 words per minute, and 16 other request phrasings.
`--programmes fourth` (a nature documentary, a political interview, a bedtime story, horse racing; five other
voices, 16 other phrasings) was written after the fresh set had been measured, to check what was changed after
looking at the held-out misses.
`--phrasings` (default: as `--programmes`) chooses the requests the same way: the held-out ones are other
phrasings from the pack's domain said by the held-out voices, half after « assistant, », half after « assistant »
with no pause. `--list` prints every false wake (what the television said then, what was heard) and every miss
(what was said, by which voice at which rate, what was heard); `--dump` keeps them too. To measure the shipped
rule only: `--thresholds 1e-50 --max-loss 2` (THRESHOLDS["en"], CHECK_MAX_LOSS); the loop's full rule is the
`loop (check 2 + gate)` row: rules 1-4 and the gate on a wake the second engine did not confirm (a clearly
understood request, `WakeRule.acts_on`); `loop + phonetic (off)` adds what was tried and left off
(`WakeRule.phonetic`: whisper's first words that sound like the phrase, with its model's margin for the phrase in
their place, kept per utterance as `phrase_margin` in the dump); `loop without rule 5` leaves out rule 5
(`WakeRule.sound_alike`: whisper's sound-alike opening after a spotter hit, before a clearly understood request).
`--room`: the television and the requests heard across one room (make_audio_devset.py's reverberation, RT60 0.55 s)
before the room noise; a live try with Piper's joe in a room is where rule 5 came from.

Seen television (the default; nothing in it is for the assistant): a news bulletin, a cooking show, a quiz and a
nurse talking about blood sugar, read by Piper's joe and five eSpeak NG voices at 160-175 words per minute, one
programme after the other with short pauses, over room noise (about 35 dB below the speech) — some sentences use
"assistant", "assistance", "a sister", "insist" in the middle, as television does. Requests: « assistant, » then a
request from the pack's own domain, said by the same voices at 135 words per minute with 2.5 s between requests,
over the same noise. Nothing is downloaded; everything is synthesised now.

Both streams go through the loop's own pieces: the endpointer cuts utterances, the recogniser `listen` uses
transcribes each, and the keyphrase spotter runs over the whole stream; `WakeRule` (asr/wake.py), the rule the
live loop applies, decides whether each utterance opens with the wake phrase. Reported per threshold: false
wakes per hour of television and the share of requests missed, with the loop's rule (`with_transcript`: the
spotter and the chosen transcript or one engine's reading; or every engine's reading), with the spotter alone,
with the chosen transcript only (the rule before two engines' readings were looked at), and with rule 4 added
(`with_check_L`: the second engine's model re-reads an utterance the spotter opened but no reading did, accepted
within a loss L of log-probability; the margins it found are printed for the television and the requests; the
loop applies it with `CHECK_MAX_LOSS`); and two baselines without a spotter: the phrase anywhere in the transcript
(the old loop's rule) and the transcript's first word. `--rates` says the requests at several speaking rates
(each rate adds `--requests` requests).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.asr.wake import CHECK_MAX_LOSS, KeyphraseSpotter, WakeRule  # noqa: E402
from voice_assistant.asr.wake_model import THRESHOLD as MODEL_THRESHOLD  # noqa: E402
from voice_assistant.nlu import Understander  # noqa: E402
from voice_assistant.audio.clip import SAMPLE_RATE  # noqa: E402
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono  # noqa: E402
from voice_assistant.audio.endpoint import Endpointer, EventKind  # noqa: E402

NEWS = [
    "Good evening, here is the news at six.",
    "The city council voted tonight to repair the old bridge before the winter.",
    "Heavy rain is expected in the north, with strong winds along the coast.",
    "The minister said the new hospital wing will open next spring.",
    "Shares fell slightly this afternoon after a week of steady gains.",
    "Police are asking for witnesses after a car was damaged on Main Street.",
    "A local school has won a national prize for its science project.",
    "The assistant coach will lead the team while the manager recovers.",
    "Firefighters were called to a warehouse late last night; nobody was hurt.",
    "Train services will be reduced on Sunday because of work on the line.",
    "Our reporter spoke to families waiting for news at the station.",
    "The weather will be mild tomorrow, with sunny spells in the afternoon.",
    "Insurance companies insist that prices will stay the same this year.",
    "That was the news; the next bulletin is at nine o'clock.",
]
COOKING = [
    "Welcome back to the kitchen, today we are making a simple lemon cake.",
    "First, warm the oven to one hundred and eighty degrees.",
    "Beat the butter and the sugar until the mixture is pale and light.",
    "My sister always adds a little vanilla at this point.",
    "Now fold in the flour slowly, with a large metal spoon.",
    "Add the juice of two lemons and a pinch of salt.",
    "Pour the batter into the tin and smooth the top.",
    "It needs about forty minutes; check it with a skewer.",
    "While it bakes, let us make the glaze with icing sugar.",
    "My kitchen assistant has chopped the herbs for the sauce.",
    "Season the chicken well and leave it to rest for ten minutes.",
    "Serve it warm, with a spoon of cream on the side.",
    "Next week we will cook a vegetable soup for cold evenings.",
]
QUIZ = [
    "Welcome to the quiz, where three players answer for the big prize.",
    "First question, for ten points: what is the capital of Canada?",
    "That is correct, Ottawa; you move to twenty points.",
    "Next question: how many minutes are there in two hours?",
    "I am afraid the answer was one hundred and twenty.",
    "Our next contestant is a retired teacher from Leeds.",
    "She will need some assistance from the audience on this one.",
    "Which planet is closest to the sun?",
    "Mercury is the right answer, well done.",
    "We will be back after the break with the final round.",
    "In the final round, every answer is worth fifty points.",
    "Name the instrument with eighty eight keys.",
    "The piano, of course; congratulations to our winner tonight.",
]
NURSE = [
    "Today our nurse explains how to look after your blood sugar.",
    "Check your glucose before breakfast and two hours after a meal.",
    "A reading of one hundred and twenty before breakfast is quite common.",
    "If your sugar is below seventy, take some fast sugar and check again.",
    "Write down every reading, with the time, for your doctor.",
    "Many people forget their metformin in the evening.",
    "A reminder on your phone can help you remember your tablets.",
    "If you feel shaky or sweaty, it may be a low blood sugar.",
    "Your pharmacist can assist you with questions about your medicines.",
    "Never change your insulin dose without talking to your doctor.",
    "A healthy meal has vegetables, some protein and a little starch.",
    "Walking for twenty minutes after dinner helps lower your glucose.",
    "Call your nurse or your doctor if your readings stay high.",
]
PROGRAMMES = {"news": NEWS, "cooking": COOKING, "quiz": QUIZ, "nurse": NURSE}
REQUESTS = [
    "what was my last reading", "my sugar is one twenty before breakfast", "remind me to take metformin at eight",
    "what are my reminders", "my glucose is ninety five", "read my last lab results", "how was my week",
    "I took my metformin", "help", "repeat that please", "speak more slowly", "what time is it",
]
VOICES = ["joe", "en-us", "en-us+m3", "en-us+f2", "en-us+f4", "en-us+m7"]
THRESHOLDS = [1e-10, 1e-15, 1e-20, 1e-25, 1e-30, 1e-35, 1e-40]

# --- held-out material (written after the rules and constants of asr/wake.py were chosen; never tune on it) ---
SPORTS = [
    "And we are under way here at a packed stadium on a cold Saturday afternoon.",
    "Martinez plays it wide to Okafor, who crosses early, and it is cleared for a corner.",
    "Twenty three minutes gone, still nil nil, and United have had seventy percent of the ball.",
    "The assistant manager is on his feet, shouting at the back four to push up.",
    "Oh, what a save from Henderson, full stretch to his left!",
    "That is his fourth clean sheet in five games, and he is only nineteen.",
    "Assist number twelve of the season for Walker, and Reid taps it in at the far post.",
    "One nil, and the home fans are singing his name.",
    "The referee checks with his assistant on the line, and the goal stands.",
    "A system of three at the back has really changed this side since Christmas.",
    "Yellow card for Brennan, his fifth of the season, so he misses the derby.",
    "Four minutes of added time, the board goes up.",
    "This is tense now, every clearance is greeted with a huge cheer.",
    "And there is the final whistle: two one, and they go top of the table with sixty one points.",
]
SOAP = [
    "Margaret, put the kettle on, we need to talk about your brother.",
    "Tell me the truth, Danny, were you at the pub last night?",
    "Remind me never to lend you my car again.",
    "Call me at six when you get to the station, and not a minute later.",
    "Sharon, his assistant said he was in a meeting all afternoon.",
    "I don't need your assistance, I can manage the shop on my own.",
    "Tell me what she said to you, word for word.",
    "Remind me to pick up the cake from Pat's before the wedding.",
    "Stop shouting, Kevin, the whole street can hear you.",
    "Call the doctor, Mum has taken one of her turns again.",
    "Read me that letter, love, my glasses are upstairs.",
    "Whatever happens tomorrow, we stick together, all right?",
    "Set the table for eight, Uncle Frank is bringing his new girlfriend.",
    "What time is it? He should have been back by now.",
]
ADVERTS = [
    "New Crunchy Oats, now with twenty percent more fibre and real honey.",
    "Fast relief from headaches, in a capsule that works in fifteen minutes.",
    "At Brightside Motors, every car comes with three years of free servicing.",
    "Need roadside assistance? One call and we are with you in under an hour.",
    "Book before Friday and save up to forty percent on summer breaks.",
    "Sparkle gets your dishes clean first time, every time.",
    "Assisted living apartments for the over sixties, with a warden on call day and night.",
    "Switch your energy supplier today and get fifty pounds back on your first bill.",
    "Remind your family how much you care, with flowers delivered tomorrow morning.",
    "A system that protects your home while you sleep, from only nine ninety nine a month.",
    "Try our new sugar free lemonade, same great taste, zero calories.",
    "Terms and conditions apply, see our website for details.",
    "Your home may be repossessed if you do not keep up repayments on your mortgage.",
]
WEATHER = [
    "Good morning, here is the weather for the week ahead.",
    "A band of rain moves in from the west overnight, with up to fifteen millimetres in places.",
    "Temperatures tomorrow reach eleven degrees in the south, only six in the north.",
    "Winds gusting to fifty miles an hour on exposed coasts, so take care on the roads.",
    "By Wednesday high pressure builds, and we see long sunny spells.",
    "Overnight lows of minus two, so a frost is likely in rural areas.",
    "Pollen levels are high today, moderate tomorrow.",
    "Thursday turns cloudier, with a chance of showers after three o'clock.",
    "The weekend looks mixed, a dry Saturday but heavy rain on Sunday.",
    "Sunrise tomorrow at seven twelve, sunset at five forty eight.",
    "That low pressure system brings a humid, unsettled feel to the end of the week.",
    "The UV index reaches five on Friday afternoon, so cover up.",
    "That is the forecast; have a good day, wherever you are.",
]
HEALTH = [
    "Tonight, we follow three people learning to live with type two diabetes.",
    "Diabetes affects more than four million people in this country alone.",
    "When you eat, your blood sugar rises, and insulin helps your cells take it in.",
    "In type two diabetes, the body stops responding properly to its own insulin.",
    "Doctor Amina Shah explains what an HbA1c blood test tells you.",
    "It measures your average blood sugar over the last two to three months.",
    "Below forty eight millimoles per mole is the target for most patients.",
    "Peter, who is sixty eight, checks his glucose twice a day with a finger prick.",
    "His reading this morning was seven point two, a little higher than he would like.",
    "His nurse asks him to write down each reading and bring the diary to clinic.",
    "Some patients need insulin injections; others manage with tablets such as metformin.",
    "Low blood sugar can cause sweating, shaking and confusion, and needs fast acting sugar.",
    "A dietician can assist with meal plans that keep blood sugar steady.",
    "Regular eye tests and foot checks help to catch complications early.",
    "Next week, we look at what a new diagnosis means for the whole family.",
]
PHONE_IN = [
    "You are listening to Midday Live, and our phone lines are open.",
    "Our first caller is Brenda from Swindon. Go ahead, Brenda, you are on the air.",
    "Hello, yes, thanks for having me, I've been listening for years.",
    "My question for the host is about the new parking charges at the hospital.",
    "Well, Brenda, the council says the money goes back into patient services.",
    "But I go three times a week for my husband's dialysis, it adds up.",
    "That is a really fair point, and I can see why you are upset.",
    "Let me bring in Tony on line two, who says he works at the hospital.",
    "Hi, yes, I am an assistant in the pharmacy there, and it affects the staff too.",
    "So tell me, Tony, what would you like the council to do?",
    "Free parking after four hours, or a pass for regular visitors, that is all we ask.",
    "Thanks, Tony, and thanks Brenda; we have an email from Jean who says the same.",
    "This is tense for a lot of families, so we will put it to the councillor after the news.",
    "It is twelve thirty, and you are listening to Midday Live.",
]
GARDENING = [
    "This week in the garden, we are getting the vegetable beds ready for spring.",
    "Dig in a good barrow load of compost, about two buckets per square metre.",
    "Sow broad beans now, five centimetres deep and twenty centimetres apart.",
    "My assistant Jim has netted the cabbages against the pigeons.",
    "If you have slugs, try a ring of grit around the young plants.",
    "Prune the roses back by a third, just above an outward facing bud.",
    "Water in the morning, not the evening, so the leaves dry before night.",
    "Insist on peat free compost when you buy it at the garden centre.",
    "A system of water butts can save you a fortune over the summer.",
    "Next week, we will be planting potatoes and looking at the greenhouse.",
    "Until then, happy gardening, and remember to wrap up warm.",
]
UNSEEN_PROGRAMMES = {"sports": SPORTS, "soap": SOAP, "adverts": ADVERTS, "weather": WEATHER,
                     "health": HEALTH, "phone_in": PHONE_IN, "gardening": GARDENING}
#: requests phrased differently from REQUESTS, from the pack's domain (intents/en.yaml), for the held-out misses
UNSEEN_REQUESTS = [
    "my blood sugar was one forty two after lunch", "log a glucose of eighty seven",
    "what did my sugar do this week",
    "set a reminder for my insulin at nine tonight", "do I have any reminders tomorrow", "I just took my tablets",
    "cancel the evening reminder", "what was my last A one C", "call my daughter", "I feel shaky and sweaty",
    "say that again", "slow down please", "what day is it today", "was my sugar high yesterday",
    "did I take my metformin this morning", "goodbye",
]
#: eSpeak NG accents and variants, and Piper's joe at another length scale ("joe@0.85": 0.85 times the words per
#: minute asked), none of them in VOICES
UNSEEN_VOICES = ["en-gb-scotland+m1", "joe@0.85", "en-us-nyc+f3", "en-029+m5", "en-gb-x-rp+klatt", "en+f5"]

# --- a third, fresh held-out set (written before any rule was measured on it, for the phonetic confirmation of
# --- WakeRule.corroborated; report on it, never tune on it) ---
QUIZ_SHOW = [
    "Good evening and welcome to Brain Box, the quiz where only one player goes home with the jackpot.",
    "Let's meet tonight's contestants: Graham, a postman from Hull, and Priya, a dentist from Leicester.",
    "Graham, you have thirty seconds on the rivers of Europe, starting now.",
    "Consistent answers from Graham there, eleven points and no passes.",
    "A sister ship of the Titanic, which liner sank in nineteen sixteen?",
    "The Britannic is correct, and that puts Priya into the lead.",
    "Insistent buzzing from the audience, but I'm afraid that answer is wrong.",
    "Assistance from the audience is not allowed in this round, please keep quiet.",
    "Is that your final answer, Graham? Then let's see if you are right.",
    "This is tense, two points between them with one question left.",
    "In which year did the Berlin Wall come down? Nineteen eighty nine, well done.",
    "Priya wins tonight's jackpot of four thousand pounds, congratulations.",
]
SERMON = [
    "Good morning, and welcome to our Sunday service from Saint Mary's in Chester.",
    "Let us begin with a moment of quiet, and bring before God the week that has passed.",
    "Assist us, O Lord, in all our doings, with thy most gracious favour.",
    "Our reading today is from the Gospel of Luke, the parable of the persistent widow.",
    "Insistent, she came back to the judge day after day, until he gave her justice.",
    "A system of rules alone cannot save us; it is love that keeps a community together.",
    "As is tradition on this Sunday, we remember those who have gone before us.",
    "Saint Paul worked with his hands; this is tent making, he said, and honest work.",
    "At least once a week, visit someone who lives alone, and sit with them a while.",
    "Let us pray for the sick, for those who care for them, and for our nurses and doctors.",
    "The choir will now sing the second hymn on your sheet, number four hundred and two.",
    "Go in peace, to love and serve the Lord.",
]
COOKERY_PHONE_IN = [
    "You're on Cook's Line, and we're taking your kitchen questions until two o'clock.",
    "Our assistant producer has Maureen from Bristol waiting; hello Maureen.",
    "Hello love, my scones come out flat every single time, what am I doing wrong?",
    "Too much kneading, Maureen; handle the dough as little as you can.",
    "A sister of mine swears by buttermilk, is that worth a try?",
    "Absolutely, buttermilk gives a lighter rise and a lovely tang.",
    "That's instant yeast you're thinking of, and you don't need it for scones.",
    "Next it's Derek, who wants a sugar free pudding for his wife, who has diabetes.",
    "Assessed in the round, fruit with a little yoghurt is the simplest answer, Derek.",
    "Consistent oven temperatures matter more than any recipe, so buy a thermometer.",
    "Call us now on the number on your screen, lines are open for another ten minutes.",
    "Thanks for all your calls today, and happy baking.",
]
CRIME_DRAMA = [
    "Sit down, Mr Doyle. You know why we've brought you in.",
    "The pathologist says the wound is consistent with a blow from a heavy object.",
    "A sister? She never once mentioned a sister.",
    "This is tent number four, where the body was found on Saturday morning.",
    "Insistent phone calls, every night at eleven, from a number we can't trace.",
    "Assistant Commissioner Hale wants an answer by the morning, so keep going.",
    "Where were you between ten and midnight on the fourteenth?",
    "At home, watching the telly, my wife will tell you.",
    "Your wife says you went out at half past ten and came back covered in mud.",
    "Assistance from the public has been overwhelming, over two hundred calls.",
    "Take him back to the cells, we'll talk again after he's seen his solicitor.",
    "Remind me what the neighbour said about the car.",
    "He said it was a blue estate, parked outside number nine, with the engine running.",
]
SHOPPING = [
    "Welcome back to Home Deals, and what a bargain we have for you this hour.",
    "A system like this would cost you over five hundred pounds on the high street.",
    "Today it's yours for just one hundred and forty nine ninety nine, with free delivery.",
    "Assisted by our lovely Karen, I'm going to show you how easy it is to clean.",
    "Just press the button, and the brush lifts all the dust from the carpet.",
    "Instant results, look at that, not a speck left.",
    "Consistently the best seller on this channel for three years running.",
    "The phones are ringing, we have fewer than two hundred left in stock.",
    "Assist your back with the lightweight handle, it weighs under two kilos.",
    "Order now, and we'll add the pet hair attachment at no extra cost.",
]
FRESH_PROGRAMMES = {"quiz_show": QUIZ_SHOW, "sermon": SERMON, "cookery_phone_in": COOKERY_PHONE_IN,
                    "crime_drama": CRIME_DRAMA, "shopping": SHOPPING}
FRESH_REQUESTS = [
    "my reading this morning was one hundred and six", "put down a sugar of two hundred and ten",
    "how have my numbers been lately", "remind me about my insulin every evening at seven",
    "what reminders have I got", "delete my lunchtime reminder", "I have had my metformin",
    "have I taken my pills today", "show me my cholesterol results", "I think my sugar is low",
    "get my son on the phone", "could you say it more slowly", "can you speak a bit faster",
    "what can you do", "I don't feel well", "thank you that's all",
]
#: voices in neither VOICES nor UNSEEN_VOICES: eSpeak NG's Lancashire and West Midlands accents, older voices
#: (grandpa, grandma), other variants, and Piper's joe faster than asked (another length scale)
FRESH_VOICES = ["en-gb-x-gbclan+m2", "en+grandpa", "en-us+grandma", "en-gb-x-gbcwmd+f1", "joe@1.15",
                "en-us-nyc+m4", "en-gb-scotland+f4"]

# --- a fourth held-out set (written after the fresh set was measured, to check the rule-3 changes made after
# --- looking at the held-out and fresh misses; report on it, never tune on it) ---
NATURE = [
    "High in the mountains, a young eagle takes its first flight.",
    "Assistance comes from an unlikely place: the wind itself lifts the bird above the ridge.",
    "A system of caves beneath the forest shelters thousands of bats through the winter.",
    "Insistent calls from the chicks tell the parents it is time to hunt again.",
    "At last, the rains arrive, and the dry valley turns green within days.",
    "This is tense for the young deer, a fox is watching from the long grass.",
    "Consistent with every year before, the salmon return to the river where they were born.",
    "The assistant ranger counts the nests at dawn, as she has done for twenty years.",
    "Next week, the journey of the grey whale, from Mexico to the Arctic.",
]
INTERVIEW = [
    "Minister, thank you for joining us this morning.",
    "Assist me here, are you saying the hospital will stay open or not?",
    "A sister hospital in the next county will take the emergency cases, that is the plan.",
    "Insisting on that does not make it true, the local doctors say the opposite.",
    "Assessing the figures, waiting times have gone up by a third since last year.",
    "That is simply not the case, and I would ask you to look at the full report.",
    "This is tent city politics, the protesters outside your office would say.",
    "At least admit that the money promised two years ago has not arrived.",
    "We have invested more than any government before us in community care.",
    "Minister, we will have to leave it there, thank you.",
]
STORY = [
    "Once upon a time, in a village by the sea, there lived a little mouse called Pip.",
    "As is often the way with mice, Pip was always hungry.",
    "A sister of Pip's lived in the lighthouse, and she had cheese every day.",
    "Is this the way to the lighthouse, asked Pip, to a seagull on the rocks.",
    "The seagull said nothing, but pointed its long yellow beak to the north.",
    "That's instant friendship, said the lighthouse mouse, when she saw her brother at the door.",
    "Assisted by a kind crab, Pip carried the cheese back home before the tide came in.",
    "And from that day on, nobody in the village was ever hungry again.",
    "The end. Sleep well, and we will read another story tomorrow night.",
]
RACING = [
    "They're under starter's orders, and they're off at Cheltenham.",
    "Assistant Trainer is slowly away, and Midnight Runner takes them along.",
    "A sister to last year's winner, Silver Lace is tucked in on the rails.",
    "Insistent pressure from the favourite as they turn for home.",
    "At the last fence it's Midnight Runner from Silver Lace, and the favourite is closing.",
    "This is tense, three of them in a line as they come up the hill.",
    "Silver Lace wins it by a neck, at odds of twelve to one.",
    "What a finish, and a first winner at the festival for her young jockey.",
]
FOURTH_PROGRAMMES = {"nature": NATURE, "interview": INTERVIEW, "story": STORY, "racing": RACING}
FOURTH_REQUESTS = [
    "my sugar was one hundred and thirty at lunch", "note a reading of seventy eight", "how did my sugar go this month",
    "remind me to take my tablets at ten tonight", "which reminders are set", "stop the morning reminder",
    "I've taken my insulin", "did I have my tablets", "tell me my latest blood test", "I feel dizzy",
    "phone my wife", "please go slower", "talk faster", "what can I ask you", "what's the date today", "bye for now",
]
FOURTH_VOICES = ["en-gb-x-rp+m6", "en-029+f2", "joe@0.95", "en-us+m1", "en+klatt3"]


@dataclass(frozen=True)
class Material:
    """What one run plays: the television's programmes and voices, its speaking rates (words per minute, the upper
    bound excluded), and the requests' phrasings, voices and whether « assistant » is followed by a comma pause."""

    programmes: dict[str, list[str]]
    voices: list[str]
    tv_rates: tuple[int, int]
    requests: list[str]
    request_voices: list[str]
    comma: tuple[bool, ...] = (True,)  #: cycled: True says « assistant, », False « assistant » with no pause


SEEN = Material(PROGRAMMES, VOICES, (160, 176), REQUESTS, VOICES)
UNSEEN = Material(UNSEEN_PROGRAMMES, UNSEEN_VOICES, (140, 196), UNSEEN_REQUESTS, UNSEEN_VOICES, (True, False))
ALL = Material({**PROGRAMMES, **UNSEEN_PROGRAMMES}, VOICES + UNSEEN_VOICES, (140, 196), REQUESTS + UNSEEN_REQUESTS,
               VOICES + UNSEEN_VOICES, (True, False))
FRESH = Material(FRESH_PROGRAMMES, FRESH_VOICES, (150, 206), FRESH_REQUESTS, FRESH_VOICES, (True, False))
FOURTH = Material(FOURTH_PROGRAMMES, FOURTH_VOICES, (145, 200), FOURTH_REQUESTS, FOURTH_VOICES, (True, False))
MATERIAL = {"seen": SEEN, "unseen": UNSEEN, "all": ALL, "fresh": FRESH, "fourth": FOURTH}


class Voices:
    """Piper's joe ("joe", or "joe@F": F times the words per minute asked, another length scale) and eSpeak NG
    voices by name ("en-us+f2", "en-gb-scotland+m1")."""

    def __init__(self, names: list[str] = VOICES):
        from voice_assistant.tts import synthesizer_for
        from voice_assistant.tts.espeak import EspeakSynthesizer

        self._piper = synthesizer_for("en")
        self._espeak = {v: EspeakSynthesizer("en", voice=v) for v in names if not is_joe(v)}

    def say(self, text: str, voice: str, wpm: int) -> np.ndarray:
        if is_joe(voice):
            engine, wpm = self._piper, round(wpm * joe_factor(voice))
        else:
            engine = self._espeak[voice]
        sentences = list(engine.speak(text, wpm))
        parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, SAMPLE_RATE))
                 for s in sentences]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def is_joe(voice: str) -> bool:
    return voice == "joe" or voice.startswith("joe@")


def joe_factor(voice: str) -> float:
    return float(voice.partition("@")[2] or 1.0)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.int16)


def room(samples: np.ndarray, seed: int, level_db: float = -35.0, reverberant: bool = False) -> np.ndarray:
    """Add room noise (a fan, traffic: white noise tilted to the low frequencies) `level_db` below the speech;
    `reverberant`: the speech first heard across a room (make_audio_devset.py's reverberation; the same room for
    every stream, the television and the patient in one living room: RT60 `room_rt60()`)."""
    if reverberant:
        samples = _rooms().reverb(samples, np.random.default_rng(ROOM_SEED))
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(0, 1, len(samples)))
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    noise = np.fft.irfft(spectrum / np.sqrt(1 + freqs / 300.0), len(samples))  # louder in the low frequencies
    noise /= max(np.sqrt(np.mean(noise ** 2)), 1e-9)
    speech = samples.astype(np.float64)
    level = np.sqrt(np.mean(speech[np.abs(speech) > 300] ** 2)) if np.any(np.abs(speech) > 300) else 3000.0
    mixed = speech + noise * level * 10 ** (level_db / 20)
    return np.clip(np.round(mixed), -32768, 32767).astype(np.int16)


TV_SEED, REQUESTS_SEED = 1, 2  #: the streams' noise seeds
#: the room's (`room`): make_audio_devset.reverb draws an RT60 of 0.55 s from it, the middle of its range
ROOM_SEED = 0


def room_rt60() -> float:
    """The RT60 (s) of the room `room(..., reverberant=True)` puts the streams in (make_audio_devset.reverb's draw)."""
    return float(np.random.default_rng(ROOM_SEED).uniform(0.3, 0.7))


def _rooms():
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_audio_devset

    return make_audio_devset


@dataclass
class Said:
    """One sentence of the television, where it is in the stream (seconds)."""

    start_s: float
    end_s: float
    programme: str
    voice: str
    text: str


def television(voices: Voices, minutes: float, material: Material = SEEN,
               pauses: tuple[float, float] = (0.25, 0.9), reverberant: bool = False) -> tuple[np.ndarray, list[Said]]:
    """Programmes one after the other, each read by one voice, until `minutes` of audio; and what was said when.
    `pauses`: the silence between sentences is drawn in this range (seconds); below the endpointer's 1 s of
    trailing silence (the default), a programme's sentences run into 20 s utterances that start wherever the
    previous one was cut; above it, every sentence starts an utterance of its own (more starts to wake on)."""
    parts, total, at, k, script = [], 0, 0, 0, []  # total: as counted before (the pause between programmes not)
    rng = np.random.default_rng(7)
    names = list(material.programmes)
    while total < minutes * 60 * SAMPLE_RATE:
        name = names[k % len(names)]
        voice = material.voices[k % len(material.voices)]
        for sentence in material.programmes[name]:
            audio = voices.say(sentence, voice, int(rng.integers(*material.tv_rates)))
            script.append(Said(at / SAMPLE_RATE, (at + len(audio)) / SAMPLE_RATE, name, voice, sentence))
            parts += [audio, silence(float(rng.uniform(*pauses)))]
            total += len(audio) + len(parts[-1])
            at += len(audio) + len(parts[-1])
        parts.append(silence(1.5))
        at += len(parts[-1])
        k += 1
    return room(np.concatenate(parts), seed=TV_SEED, reverberant=reverberant), script


@dataclass
class Spoken:
    start: int  #: sample where the request starts
    end: int
    text: str = ""
    voice: str = ""


def requests(voices: Voices, count: int, rates: tuple[int, ...] = (135,),
             material: Material = SEEN, reverberant: bool = False) -> tuple[np.ndarray, list[Spoken]]:
    """`count` requests at each speaking rate of `rates` (words per minute); `reverberant`: in a room (`room`)."""
    parts, spans, at = [silence(2.0)], [], 2 * SAMPLE_RATE
    for i in range(count * len(rates)):
        voice = material.request_voices[i % len(material.request_voices)]
        comma = material.comma[i // len(material.request_voices) % len(material.comma)]  # each voice says both
        text = ("assistant, " if comma else "assistant ") + material.requests[i % len(material.requests)]
        audio = voices.say(text, voice, rates[i // count])
        spans.append(Spoken(at, at + len(audio), text, f"{voice} {rates[i // count]} wpm"))
        parts += [audio, silence(2.5)]
        at += len(audio) + len(parts[-1])
    return room(np.concatenate(parts), seed=REQUESTS_SEED, reverberant=reverberant), spans


@dataclass
class Utterance:
    start_s: float
    end_s: float
    words: list[str]
    readings: list[list[str]] = field(default_factory=list)  #: each engine's own reading (a combined recogniser)
    #: rule 4 (WakeCheck): when the spotter heard the phrase near the start and no reading opens with it, how much
    #: likelier (log) the transcript reads with its first words replaced by the phrase (None: not asked)
    wake_margin: float | None = None
    #: the same margin for every utterance the gate may be asked about (the spotter heard the phrase near the start,
    #: or a reading opens with it) whose last engine's reading does not open with the phrase word for word: what the
    #: second engine's model thinks of the phrase in place of its own first words (None: not asked)
    phrase_margin: float | None = None
    #: for the same utterances, whisper's score of each text an unconfirmed wake's gate may weigh (`scored_texts`):
    #: text -> [total log-probability, tokens scored] (None: not asked)
    scores: dict[str, list[float]] | None = None


def utterances(audio: np.ndarray, recognizer, rule: WakeRule | None = None, hits: list[float] = ()) -> list[Utterance]:
    """The endpointer's utterances of the stream, each transcribed as the loop does; with `rule`, those the
    spotter (`hits`) heard open with the phrase but no reading does are scored by `WakeCheck` (rule 4)."""
    from voice_assistant.asr.wake import WakeCheck, scorer_of

    scorer = scorer_of(recognizer)
    check = WakeCheck(rule.wake_words, scorer) if rule is not None and scorer is not None else None
    ep = Endpointer()
    found = []
    for i in range(0, len(audio), 480):
        for event in ep.feed(audio[i:i + 480]):
            if event.kind is EventKind.UTTERANCE_ENDED and event.audio is not None:
                recognizer.reset()
                pcm = event.audio.pcm()
                for j in range(0, len(pcm), 8000):
                    recognizer.accept(pcm[j:j + 8000])
                transcript = recognizer.finish()
                u = Utterance(event.start_s, event.end_s, transcript.text.split(),
                              [r.split() for r in engine_readings(transcript)])
                if check is not None and gate_may_ask(rule, u, hits):
                    found_margin = check.margin(pcm, u.words, u.readings)
                    u.phrase_margin = None if found_margin is None else round(found_margin[0], 2)
                    if rule.needs_check(u.start_s, hits, u.words, u.readings):
                        u.wake_margin = u.phrase_margin
                    u.scores = scored_texts(scorer, pcm, rule, u)
                found.append(u)
                ep.reset()
    return found


def scored_texts(scorer, pcm: bytes, rule: WakeRule, u: Utterance) -> dict[str, list[float]] | None:
    """Whisper's score (total log-probability, tokens) of each reading as it is, with its first 0..MISHEARD_WORDS
    words replaced by the phrase, and without them: what `WakeRule.scored_request` may ask about."""
    from voice_assistant.asr.wake import MISHEARD_WORDS

    texts: list[str] = []
    for reading in [u.words, *u.readings]:
        for k in range(0, min(MISHEARD_WORDS + 1, len(reading)) + 1):
            for text in (" ".join(reading[k:]), " ".join([*rule.wake_words, *reading[k:]])):
                if text.strip() and text not in texts:
                    texts.append(text)
    if not texts:
        return None
    try:
        scored = scorer(pcm, texts)
    except Exception:  # noqa: BLE001 - not scored: the replay treats it as not asked
        return None
    out = {}
    for text, s in zip(texts, scored):
        probs = getattr(s, "token_probs", ()) or ()
        out[text] = [round(sum(math.log(max(float(p), 1e-9)) for p in probs), 3), len(probs)]
    return out


def gate_may_ask(rule: WakeRule, u: Utterance, hits: list[float]) -> bool:
    """Whether the wake rule or its gate may weigh this utterance's margin: the spotter heard the phrase near its
    start or a reading opens with it, and the last engine's reading does not open with it word for word."""
    if u.readings and rule.transcript_opens(u.readings[-1]):
        return False
    return rule.spotted_near(u.start_s, hits) or any(rule.transcript_opens(r) for r in [u.words, *u.readings])


def engine_readings(transcript) -> list[str]:
    """Each engine's own text when the recogniser combines two (as the live loop reads them)."""
    from voice_assistant.asr.wake import engine_readings as readings

    return list(readings(transcript))


def spot(audio: np.ndarray, phrase: str, threshold: float, kind: str = "model") -> tuple[list[float], float]:
    """Times (s) where the spotter heard the phrase end, and its real-time factor. `kind`: the wake-word model
    (asr/wake_model.py, what the loop uses; `threshold` is its score) or pocketsphinx's keyphrase search."""
    from voice_assistant.asr.wake_model import ModelSpotter

    spotter = ModelSpotter("en", threshold) if kind == "model" else KeyphraseSpotter(phrase, threshold)
    hits = []
    started = time.perf_counter()
    for i in range(0, len(audio), 480):
        if spotter.process(audio[i:i + 480]):
            hits.append((i + 480) / SAMPLE_RATE)
    return hits, (time.perf_counter() - started) / (len(audio) / SAMPLE_RATE)


def count(utts: list[Utterance], rule: WakeRule, hits: list[float] | None, anywhere: bool = False,
          max_loss: float | None = None, understand=None) -> list[bool]:
    """Which utterances open with the phrase; `max_loss` given: rule 4 too (WakeCheck's margin); `understand`
    given: and are acted on (`WakeRule.acts_on`: a wake the second engine did not confirm needs a clearly understood
    request; here the request is `WakeRule.request`'s words, also for rule 4, whose replaced words are not kept),
    or woke by rule 5 (`WakeRule.sounding_request`, when `rule.sound_alike`)."""
    if anywhere:
        return [any(w in rule.wake_words for w in u.words) for u in utts]
    opened = [rule.opens(u.start_s, hits, u.words, u.readings)
              or (max_loss is not None and u.wake_margin is not None and u.wake_margin >= -max_loss
                  and rule.needs_check(u.start_s, hits, u.words, u.readings))
              for u in utts]
    if understand is None:
        return opened
    # rule 5 (`WakeRule.sound_alike`) where no reading opens with the phrase, before rule 4, as the loop does
    return [(o and rule.acts_on(u.start_s, hits, u.readings, rule.request(u.words, u.readings), understand,
                                margin=lambda u=u: u.wake_margin if u.phrase_margin is None else u.phrase_margin,
                                likelihood=likelihood_from(u)))
            or rule.sounding_request(u.start_s, hits, u.words, u.readings, understand) is not None
            for o, u in zip(opened, utts)]


def likelihood_from(u: Utterance):
    """`WakeRule.model_agrees`'s likelihood (mean log-probability per token) from the scores kept for `u` (None for a
    text not kept)."""
    scores = u.scores
    return lambda texts: (None if scores is None else
                          [scores[t][0] / scores[t][1] if t in scores and scores[t][1] else None for t in texts])


def accepted(utts: list[Utterance], opened: list[bool], spans: list[Spoken]) -> int:
    """Requests whose first utterance opened with the wake phrase."""
    return len(spans) - len(missed(utts, opened, spans))


def in_span(u: Utterance, span: Spoken) -> bool:
    return span.start / SAMPLE_RATE - 0.5 <= u.start_s <= span.end / SAMPLE_RATE


def missed(utts: list[Utterance], opened: list[bool], spans: list[Spoken]) -> list[int]:
    """Indexes of the requests whose first utterance did not open with the wake phrase."""
    out = []
    for n, span in enumerate(spans):
        first = [o for u, o in zip(utts, opened) if in_span(u, span)]
        if not (first and first[0]):
            out.append(n)
    return out


def heard(u: Utterance) -> dict:
    return {"at_s": round(u.start_s, 2), "heard": " ".join(u.words), "readings": [" ".join(r) for r in u.readings],
            "wake_margin": u.wake_margin, "phrase_margin": u.phrase_margin}


def false_wake_detail(utts: list[Utterance], opened: list[bool], script: list[Said]) -> list[dict]:
    """Each television utterance that opened: what was said then (the sentences it overlaps) and what was heard."""
    return [{"said": [f"[{s.programme}, {s.voice}] {s.text}" for s in script
                      if s.end_s > u.start_s - 0.3 and s.start_s < u.end_s + 0.3], **heard(u)}
            for u, o in zip(utts, opened) if o]


def miss_detail(utts: list[Utterance], spans: list[Spoken], misses: list[int]) -> list[dict]:
    """Each missed request: what was said (and by which voice, at which rate) and the utterances heard in it."""
    return [{"said": spans[n].text, "voice": spans[n].voice,
             "utterances": [heard(u) for u in utts if in_span(u, spans[n])]} for n in misses]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of television (default 10)")
    parser.add_argument("--requests", type=int, default=36, help="spoken requests (default 36)")
    parser.add_argument("--rates", default="135", help="speaking rates of the requests, words per minute "
                        "(each adds --requests requests; default 135)")
    parser.add_argument("--spotter", choices=("model", "keyphrase"), default="model",
                        help="the wake-word model (asr/wake_model.py: the loop's) or pocketsphinx's keyphrase search")
    parser.add_argument("--thresholds", help="spotter thresholds, comma-separated (default: the model's "
                        f"{MODEL_THRESHOLD:g}; keyphrase: {','.join(f'{t:g}' for t in THRESHOLDS)})")
    parser.add_argument("--max-loss", default="0,2,4", help="WakeCheck margins to report (rule 4), comma-separated")
    parser.add_argument("--programmes", choices=sorted(MATERIAL), default="seen",
                        help="television: the programmes and voices the rules were chosen on (seen, the default), "
                        "the held-out ones written after (unseen), both (all), or the third held-out set (fresh)")
    parser.add_argument("--phrasings", choices=sorted(MATERIAL),
                        help="requests: phrasings and voices, seen / unseen / all (default: as --programmes)")
    parser.add_argument("--pauses", default="0.25,0.9", help="television: silence between sentences, seconds, "
                        "low,high (default 0.25,0.9: sentences run together; 1.1,2: each its own utterance)")
    parser.add_argument("--room", action="store_true", help="television and requests heard across a room "
                        "(make_audio_devset.py's reverberation, one room, RT60 0.55 s) before the noise")
    parser.add_argument("--list", action="store_true", help="print every false wake (what the television said, "
                        "what was heard) and every miss, per rule")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump", type=Path, help="also write every utterance (start, words) and the spotter's hits "
                        "per threshold to this JSON file, to compare rules without decoding again")
    args = parser.parse_args()

    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.nlu.packs import load_pack
    from voice_assistant.profile import default_profile

    wake = tuple(load_pack("en").wake_words) or ("assistant",)
    phrase = " ".join(wake)
    started = time.perf_counter()
    shown, asked_with = MATERIAL[args.programmes], MATERIAL[args.phrasings or args.programmes]
    voices = Voices(list(dict.fromkeys(shown.voices + asked_with.request_voices)))
    low, high = (float(x) for x in args.pauses.split(","))
    tv, script = television(voices, args.minutes, shown, (low, high), reverberant=args.room)
    asked, spans = requests(voices, args.requests, tuple(int(r) for r in args.rates.split(",")), asked_with,
                            reverberant=args.room)
    if args.room:
        print(f"in a room: RT60 {room_rt60():.2f} s", file=sys.stderr)
    print(f"synthesised {len(tv) / SAMPLE_RATE / 60:.1f} min of television and {len(spans)} requests "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    recognizer = recognizer_for("en", replace(default_profile(), language="en"), cached=False)
    rule = WakeRule(wake)
    thresholds = [float(t) for t in (args.thresholds or (f"{MODEL_THRESHOLD:g}" if args.spotter == "model" else
                                                         ",".join(f"{t:g}" for t in THRESHOLDS))).split(",")]
    spotted = {t: (spot(tv, phrase, t, args.spotter), spot(asked, phrase, t, args.spotter)) for t in thresholds}
    tv_utts = utterances(tv, recognizer, rule, sorted(h for (tv_hits, _), _ in spotted.values() for h in tv_hits))
    rq_utts = utterances(asked, recognizer, rule, sorted(h for _, (rq_hits, _) in spotted.values() for h in rq_hits))
    hours = len(tv) / SAMPLE_RATE / 3600
    results = {"programmes": args.programmes, "phrasings": args.phrasings or args.programmes, "pauses": [low, high],
               "room_rt60_s": round(room_rt60(), 2) if args.room else None,
               "tv_minutes": round(hours * 60, 2), "tv_utterances": len(tv_utts), "requests": len(spans),
               "baselines": {}, "thresholds": []}
    for name, hits_tv, hits_rq, anywhere in (("phrase anywhere in the transcript (old rule)", None, None, True),
                                             ("transcript's first word", None, None, False)):
        fw = sum(count(tv_utts, rule, hits_tv, anywhere))
        ok = accepted(rq_utts, count(rq_utts, rule, hits_rq, anywhere), spans)
        results["baselines"][name] = {"false_wakes_per_hour": round(fw / hours, 1), "false_wakes": fw,
                                      "miss_rate": round(1 - ok / len(spans), 3)}
    hits: dict[float, dict[str, list[float]]] = {}
    understand = Understander("en").understand
    losses = [float(x) for x in args.max_loss.split(",")] if args.max_loss else []
    for threshold in thresholds:
        (hits_tv, rtf), (hits_rq, _) = spotted[threshold]
        row = {"threshold": threshold, "spotter_rtf": round(rtf, 3), "spotter_hits_per_hour": round(len(hits_tv) / hours, 1)}
        rules = [("with_transcript", rule, None, None), ("spotter_alone", replace(rule, need_transcript=False), None,
                                                          None),
                 ("chosen_transcript_only", replace(rule, any_reading=False, agreement=False), None, None)]
        rules += [(f"with_check_{loss:g}", rule, loss, None) for loss in losses]
        # the loop's whole rule: rules 1-4 (rule 4 at the shipped bound) and the gate on unconfirmed wakes
        rules += [(f"loop (check {CHECK_MAX_LOSS:g} + gate)", rule, CHECK_MAX_LOSS, understand)]
        # tried, off in the loop: whisper's sound-alike first words with its model's margin confirm a wake too
        rules += [("loop + phonetic (off)", replace(rule, phonetic=True), CHECK_MAX_LOSS, understand)]
        # rule 5 (`WakeRule.sound_alike`): a sound-alike opening after a spotter hit, before a clearly understood request
        rules += [("loop without rule 5" if rule.sound_alike else "loop + rule 5 (off)",
                   replace(rule, sound_alike=not rule.sound_alike), CHECK_MAX_LOSS, understand)]
        # before the meaning gates: a confirmed wake acted on whatever its request means (`WakeRule.meaningful`), an
        # unconfirmed one on pocketsphinx's clear request whatever whisper read (`WakeRule.independent_meaning`)
        rules += [("loop without meaning gates", replace(rule, meaningful=False, independent_meaning=False),
                   CHECK_MAX_LOSS, understand)]
        for label, r, loss, gate in rules:
            woke = count(tv_utts, r, hits_tv, max_loss=loss, understand=gate)
            misses = missed(rq_utts, count(rq_utts, r, hits_rq, max_loss=loss, understand=gate), spans)
            fw = sum(woke)
            row[label] = {"false_wakes_per_hour": round(fw / hours, 2), "false_wakes": fw,
                          "miss_rate": round(len(misses) / len(spans), 3),
                          "false_wake_list": false_wake_detail(tv_utts, woke, script),
                          "miss_list": miss_detail(rq_utts, spans, misses)}
        results["thresholds"].append(row)
        hits[threshold] = {"tv": hits_tv, "requests": hits_rq}
    if args.dump:
        args.dump.parent.mkdir(parents=True, exist_ok=True)
        args.dump.write_text(json.dumps({
            "wake": wake, "window": list(rule.window),
            "programmes": args.programmes, "phrasings": args.phrasings or args.programmes,
            "tv": [vars(u) for u in tv_utts], "requests": [vars(u) for u in rq_utts],
            "spans": [[s.start / SAMPLE_RATE, s.end / SAMPLE_RATE] for s in spans],
            "request_texts": [[s.text, s.voice] for s in spans], "tv_script": [vars(s) for s in script],
            "results": results,
            "tv_hours": hours, "hits": {f"{t:g}": h for t, h in hits.items()}}, indent=1))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"television ({args.programmes}): {results['tv_minutes']} min, {len(tv_utts)} utterances; requests "
          f"({results['phrasings']}): {len(spans)}")
    for name, r in results["baselines"].items():
        print(f"  no spotter, {name}: {r['false_wakes_per_hour']} false wakes/h ({r['false_wakes']}), "
              f"misses {r['miss_rate']:.0%}")
    for row in results["thresholds"]:
        print(f"  threshold {row['threshold']:g}: spotter {row['spotter_hits_per_hour']} hits/h, RTF {row['spotter_rtf']}")
        for label, r in row.items():
            if isinstance(r, dict):
                print(f"    {label:<24} {r['false_wakes_per_hour']:>6} false wakes/h ({r['false_wakes']:>2})   "
                      f"misses {r['miss_rate']:>6.1%}")
                if args.list:
                    for w in r["false_wake_list"]:
                        print(f"      false wake at {w['at_s']} s: said {' / '.join(w['said'])!r}; "
                              f"heard {w['heard']!r} "
                              f"(readings {w['readings']}, margin {w['wake_margin']})")
                    for m in r["miss_list"]:
                        print(f"      missed {m['said']!r} ({m['voice']}): heard "
                              f"{[(u['heard'], u['readings'], u['wake_margin']) for u in m['utterances']]}")
    for name, utts in (("television", tv_utts), ("requests", rq_utts)):
        margins = sorted(u.wake_margin for u in utts if u.wake_margin is not None)
        print(f"  rule 4 margins, {name} ({len(margins)} checked): {margins}")


if __name__ == "__main__":
    main()
