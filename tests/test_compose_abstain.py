"""The extractive composer's evidence checks end to end, over the bundled letters (questions not in the eval set)."""


def test_a_number_about_something_else_does_not_answer(assistant):
    # The only sums near the htl are the taskforce budget and a 2020 scheme for municipalities.
    answer = assistant.ask("Hoeveel kost een plaats in de Handhaving- en Toezichtlocatie?")
    assert answer.abstained and "hierover geen aantal of bedrag" in answer.text
    answered = assistant.ask("Hoeveel donoren heeft de GCFF?")
    assert not answered.abstained and "10 donoren" in answered.text


def test_a_figure_for_another_year_does_not_answer(assistant):
    answer = assistant.ask("Hoeveel migranten keerden in 2022 via REAN terug?")
    assert answer.abstained and "2022" in answer.text
    answered = assistant.ask("Hoeveel migranten werden in 2023 via REAN ondersteund bij vrijwillige terugkeer?")
    assert not answered.abstained and "1.859" in answered.text


def test_a_sum_of_money_does_not_count_people(assistant):
    answer = assistant.ask("Hoeveel Oekraïense vluchtelingen vangt Moldavië op?")  # only "EUR 10 mln. … Moldavië"
    assert answer.abstained
    answered = assistant.ask("Hoeveel geld maakte Nederland in 2023 over aan de GCFF voor Moldavië?")
    assert not answered.abstained and "EUR 10 mln." in answered.text
    people = assistant.ask("Hoeveel mensen zijn met Nederlandse steun uit Libië teruggekeerd?")  # "tienduizenden migranten"
    assert not people.abstained and "tienduizenden" in people.text
